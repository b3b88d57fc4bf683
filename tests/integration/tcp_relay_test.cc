// RFC 6062 TCP relays against the real turnserver on loopback: Connect to a TCP peer, inbound
// peers announced by ConnectionAttempt, ConnectionBind on data connections (TCP and TLS, on
// whichever worker they land), the peer policy, refused binds, allocation deletion, and a
// data connection that never reads.
//
// Relayed bytes are framed as ChannelData by the tests themselves (the relay pipes them as
// they are), so the framing ClientSocket reads whole payloads from a data connection too.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "client/client_socket.h"
#include "ferry/auth/long_term_key.h"
#include "ferry/stun/attributes.h"
#include "ferry/stun/channel_data.h"
#include "ferry/stun/message.h"
#include "http_client.h"
#include "loopback_server_test.h"
#include "server_process.h"

namespace ferry::testing {
namespace {

using client::ClientSocket;
namespace attr = stun::attr;

stun::TransactionId random_tid() {
  static std::mt19937 rng(std::random_device{}());
  stun::TransactionId tid{};
  for (auto& b : tid) b = static_cast<std::uint8_t>(rng());
  return tid;
}

// `payload` as one ChannelData frame (channel 0x4000, padded to 4 bytes).
std::vector<std::uint8_t> frame(const std::vector<std::uint8_t>& payload) {
  std::vector<std::uint8_t> f(stun::padded_size(4 + payload.size()), 0);
  stun::write_channel_data_header(f.data(), 0x4000, static_cast<std::uint16_t>(payload.size()));
  std::copy(payload.begin(), payload.end(), f.begin() + 4);
  return f;
}
std::vector<std::uint8_t> payload(int i, std::size_t size = 100) {
  return std::vector<std::uint8_t>(size, static_cast<std::uint8_t>(i));
}

// A TURN client on a stream connection (TCP or TLS) that speaks RFC 6062: long-term
// credentials learnt from the first 401 (or given), requests matched by transaction id,
// ConnectionAttempt indications kept for wait_attempt().
class StreamTurn {
 public:
  StreamTurn(Transport t, const Address& server, std::string user = "alice",
             std::string password = "secret") {
    std::string err;
    auto s = ClientSocket::open(t, server, &err);
    EXPECT_TRUE(s) << err;
    if (s) socket_.emplace(std::move(*s));
    user_ = std::move(user);
    password_ = std::move(password);
  }
  bool ok() const { return socket_.has_value(); }
  ClientSocket& socket() { return *socket_; }
  // Credentials learnt on another connection (a data connection reuses the control's).
  void learn(const StreamTurn& other) {
    realm_ = other.realm_;
    nonce_ = other.nonce_;
  }

  struct Answer {
    bool success = false;
    std::uint16_t error = 0;
    std::vector<std::uint8_t> bytes;
    template <class A>
    std::optional<A> get() const {
      auto v = stun::MessageView::parse(Bytes(bytes.data(), bytes.size()));
      if (!v) return std::nullopt;
      return v->get<A>();
    }
  };
  using Attrs = std::function<void(stun::MessageBuilder&)>;

  // One request, signed once the realm and nonce are known; a 401 or 438 teaches them and the
  // request goes again.
  Answer request(stun::Method method, const Attrs& attrs) {
    Answer a;
    for (int round = 0; round < 3; ++round) {
      a = send_once(method, attrs);
      if ((a.error == 401 && round == 0 && realm_.empty()) || a.error == 438) {
        if (auto r = a.get<attr::Realm>()) realm_ = std::string(r->value);
        if (auto n = a.get<attr::Nonce>()) nonce_ = std::string(n->value);
        continue;
      }
      break;
    }
    return a;
  }

  Answer allocate_tcp() {
    return request(stun::Method::kAllocate, [](stun::MessageBuilder& b) {
      b.add(attr::RequestedTransport{attr::RequestedTransport::kTcp});
    });
  }
  Answer create_permission(const Address& peer) {
    return request(stun::Method::kCreatePermission,
                   [peer](stun::MessageBuilder& b) { b.add(attr::XorPeerAddress{peer}); });
  }
  Answer connect(const Address& peer) {
    return request(stun::Method::kConnect,
                   [peer](stun::MessageBuilder& b) { b.add(attr::XorPeerAddress{peer}); });
  }
  Answer connection_bind(std::uint32_t id) {
    return request(stun::Method::kConnectionBind,
                   [id](stun::MessageBuilder& b) { b.add(attr::ConnectionId{id}); });
  }
  Answer refresh(std::uint32_t lifetime) {
    return request(stun::Method::kRefresh,
                   [lifetime](stun::MessageBuilder& b) { b.add(attr::Lifetime{lifetime}); });
  }
  // The next ConnectionAttempt (RFC 6062 §5.4): the peer and the connection id.
  std::optional<std::pair<Address, std::uint32_t>> wait_attempt(Millis timeout) {
    auto until = Clock::now() + timeout;
    while (attempts_.empty() && Clock::now() < until) {
      auto m = socket_->receive(Millis(100));
      if (m) keep_if_attempt(*m);
    }
    if (attempts_.empty()) return std::nullopt;
    auto a = attempts_.front();
    attempts_.erase(attempts_.begin());
    return a;
  }

 private:
  Answer send_once(stun::Method method, const Attrs& attrs) {
    std::vector<std::uint8_t> buf(1500);
    const stun::TransactionId tid = random_tid();
    stun::MessageBuilder b(MutableBytes(buf.data(), buf.size()), method, stun::Class::kRequest,
                           tid);
    if (attrs) attrs(b);
    if (!realm_.empty()) {
      b.add(attr::Username{user_});
      b.add(attr::Realm{realm_});
      b.add(attr::Nonce{nonce_});
      auto key = auth::md5_key(user_, realm_, password_);
      b.add_message_integrity(Bytes(key.data(), key.size()));
    }
    Bytes out = b.finish();
    Answer a;
    if (!socket_->send(out)) return a;
    auto until = Clock::now() + Millis(5000);
    while (Clock::now() < until) {
      auto m = socket_->receive(Millis(5000));
      if (!m) return a;
      auto v = stun::MessageView::parse(Bytes(m->data(), m->size()));
      if (!v) continue;
      if (v->cls() == stun::Class::kIndication) {
        keep_if_attempt(*m);
        continue;
      }
      if (v->transaction_id() != tid) continue;
      a.success = v->cls() == stun::Class::kSuccess;
      if (auto e = v->get<attr::ErrorCode>()) a.error = e->code;
      a.bytes = std::move(*m);
      return a;
    }
    return a;
  }
  void keep_if_attempt(const std::vector<std::uint8_t>& m) {
    auto v = stun::MessageView::parse(Bytes(m.data(), m.size()));
    if (!v || v->cls() != stun::Class::kIndication ||
        v->method() != static_cast<std::uint16_t>(stun::Method::kConnectionAttempt)) {
      return;
    }
    auto p = v->get<attr::XorPeerAddress>();
    auto id = v->get<attr::ConnectionId>();
    if (p && id) attempts_.emplace_back(p->address, id->id);
  }

  std::optional<ClientSocket> socket_;
  std::string user_;
  std::string password_;
  std::string realm_;
  std::string nonce_;
  std::vector<std::pair<Address, std::uint32_t>> attempts_;
};

int tcp_socket_bound(const char* ip) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_storage ss;
  socklen_t len = Address::parse_ip(ip, 0)->to_sockaddr(&ss);
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}
Address local_address(int fd) {
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  return Address::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

// A TCP echo peer on 127.0.0.1: accepts connections and echoes every byte, on its own thread,
// for the length of a test. Records where connections came from.
class TcpEchoPeer {
 public:
  TcpEchoPeer() {
    fd_ = tcp_socket_bound("127.0.0.1");
    ::listen(fd_, 64);
    address_ = local_address(fd_);
    thread_ = std::thread([this] { run(); });
  }
  ~TcpEchoPeer() {
    stop_ = true;
    thread_.join();
    for (int c : clients_) close(c);
    close(fd_);
  }
  const Address& address() const { return address_; }
  std::vector<Address> sources() {
    std::lock_guard<std::mutex> lock(mu_);
    return sources_;
  }

 private:
  void run() {
    while (!stop_) {
      std::vector<pollfd> p{{fd_, POLLIN, 0}};
      for (int c : clients_) p.push_back({c, POLLIN, 0});
      if (poll(p.data(), p.size(), 50) <= 0) continue;
      if ((p[0].revents & POLLIN) != 0) {
        sockaddr_storage ss;
        socklen_t len = sizeof ss;
        int c = accept4(fd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_CLOEXEC);
        if (c >= 0) {
          clients_.push_back(c);
          std::lock_guard<std::mutex> lock(mu_);
          sources_.push_back(Address::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len));
        }
      }
      for (std::size_t i = 1; i < p.size(); ++i) {
        if (p[i].revents == 0) continue;
        std::uint8_t buf[16384];
        ssize_t n = recv(p[i].fd, buf, sizeof buf, 0);
        if (n <= 0) {
          close(p[i].fd);
          std::erase(clients_, p[i].fd);
          continue;
        }
        for (ssize_t at = 0; at < n;) {
          ssize_t w = send(p[i].fd, buf + at, static_cast<std::size_t>(n - at), MSG_NOSIGNAL);
          if (w <= 0) break;
          at += w;
        }
      }
    }
  }
  int fd_ = -1;
  Address address_;
  std::atomic<bool> stop_{false};
  std::vector<int> clients_;
  std::mutex mu_;
  std::vector<Address> sources_;
  std::thread thread_;
};

// A blocking TCP connection from 127.0.0.1 to `to`; -1 on failure.
int connect_to(const Address& to) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_storage ss;
  socklen_t len = to.to_sockaddr(&ss);
  if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}
bool send_all(int fd, const std::vector<std::uint8_t>& data) {
  for (std::size_t at = 0; at < data.size();) {
    ssize_t n = send(fd, data.data() + at, data.size() - at, MSG_NOSIGNAL);
    if (n <= 0) return false;
    at += static_cast<std::size_t>(n);
  }
  return true;
}
// Exactly `n` bytes within `timeout`, or what came before it ran out.
std::vector<std::uint8_t> recv_exactly(int fd, std::size_t n, Millis timeout) {
  std::vector<std::uint8_t> out;
  auto until = Clock::now() + timeout;
  while (out.size() < n && Clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    std::uint8_t buf[4096];
    ssize_t got = recv(fd, buf, std::min(sizeof buf, n - out.size()), 0);
    if (got <= 0) break;
    out.insert(out.end(), buf, buf + got);
  }
  return out;
}
// True once the other end has closed `fd` within `wait`.
bool closed_within(int fd, Millis wait) {
  auto until = Clock::now() + wait;
  while (Clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    char c[4096];
    ssize_t n = recv(fd, c, sizeof c, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN)) return true;
  }
  return false;
}

// How much RSS may grow in the memory test; AddressSanitizer's quarantine keeps freed memory.
#if defined(__SANITIZE_ADDRESS__)
constexpr long kRssGrowthKb = 48 * 1024;
#else
constexpr long kRssGrowthKb = 8 * 1024;
#endif

long rss_kb(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// The worker count for this test's server, whatever the suite's FERRY_TEST_RELAY_THREADS.
class ThreadsForThisTest {
 public:
  explicit ThreadsForThisTest(const char* n) {
    if (const char* was = std::getenv("FERRY_TEST_RELAY_THREADS")) saved_ = was;
    setenv("FERRY_TEST_RELAY_THREADS", n, 1);
  }
  ~ThreadsForThisTest() {
    if (saved_) {
      setenv("FERRY_TEST_RELAY_THREADS", saved_->c_str(), 1);
    } else {
      unsetenv("FERRY_TEST_RELAY_THREADS");
    }
  }

 private:
  std::optional<std::string> saved_;
};

class TcpRelayTest : public LoopbackServerTest {
 protected:
  // `extra`: lines after the base config, which turns TCP relays on.
  void start(const std::string& extra = "allow-loopback-peers\n", bool tcp_relay = true) {
    launch([&](std::uint16_t port) {
      return "listening-ip=127.0.0.1\nlistening-port=" + std::to_string(port) +
             "\nrelay-ip=127.0.0.1\nmin-port=45000\nmax-port=45999\nrealm=example.org\n"
             "user=alice:secret\nuser=bob:hunter2\nno-tls\n" +
             (tcp_relay ? "tcp-relay\n" : "") + extra;
    });
  }
  // A control connection with a TCP allocation: its relayed address.
  Address allocate(StreamTurn& control) {
    auto a = control.allocate_tcp();
    EXPECT_TRUE(a.success) << a.error;
    auto r = a.get<attr::XorRelayedAddress>();
    return r ? r->address : Address{};
  }
  // A data connection bound to `id` (nullopt when the bind failed).
  std::unique_ptr<StreamTurn> bind(const StreamTurn& control, std::uint32_t id,
                                   Transport t = Transport::kTcp) {
    auto data = std::make_unique<StreamTurn>(t, server_address_for(t));
    data->learn(control);
    auto b = data->connection_bind(id);
    EXPECT_TRUE(b.success) << b.error;
    if (!b.success) return nullptr;
    return data;
  }
  virtual Address server_address_for(Transport) const { return server_address(); }
  // Round trips of framed payloads over a bound data connection to an echo peer.
  void echo_round_trips(StreamTurn& data, int count) {
    for (int i = 0; i < count; ++i) {
      auto f = frame(payload(i, 100 + static_cast<std::size_t>(i)));
      ASSERT_TRUE(data.socket().send(Bytes(f.data(), f.size())));
      auto got = data.socket().receive(Millis(3000));
      ASSERT_TRUE(got) << "round trip " << i;
      EXPECT_EQ(*got, f);
    }
  }
};

TEST_F(TcpRelayTest, ConnectToATcpPeerAndRelayBothWays) {
  start();
  TcpEchoPeer peer;
  StreamTurn control(Transport::kTcp, server_address());
  const Address relayed = allocate(control);
  auto c = control.connect(peer.address());
  ASSERT_TRUE(c.success) << c.error;
  auto id = c.get<attr::ConnectionId>();
  ASSERT_TRUE(id);
  auto data = bind(control, id->id);
  ASSERT_TRUE(data);
  echo_round_trips(*data, 20);
  // RFC 6062 §5.2: the connection comes from the relayed transport address.
  ASSERT_EQ(peer.sources().size(), 1u);
  EXPECT_EQ(peer.sources()[0], relayed);
  // §5.2: one connection per peer.
  EXPECT_EQ(control.connect(peer.address()).error, 446);
}

TEST_F(TcpRelayTest, InboundPeerIsAnnouncedAndItsEarlyBytesDelivered) {
  start();
  StreamTurn control(Transport::kTcp, server_address());
  const Address relayed = allocate(control);
  ASSERT_TRUE(control.create_permission(*Address::parse_ip("127.0.0.1", 0)).success);
  int peer = connect_to(relayed);
  ASSERT_GE(peer, 0);
  // Before the ConnectionBind: buffered by the relay (§5.3: delivered after it).
  auto early = frame(payload(7));
  ASSERT_TRUE(send_all(peer, early));
  auto attempt = control.wait_attempt(Millis(3000));
  ASSERT_TRUE(attempt);
  EXPECT_EQ(attempt->first, local_address(peer));
  auto data = bind(control, attempt->second);
  ASSERT_TRUE(data);
  auto got = data->socket().receive(Millis(3000));
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, early);
  // And both ways from now on.
  for (int i = 0; i < 10; ++i) {
    auto f = frame(payload(i, 200));
    ASSERT_TRUE(data->socket().send(Bytes(f.data(), f.size())));
    EXPECT_EQ(recv_exactly(peer, f.size(), Millis(3000)), f);
    ASSERT_TRUE(send_all(peer, f));
    auto back = data->socket().receive(Millis(3000));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, f);
  }
  // §5.5: the peer closes, so does the data connection.
  close(peer);
  EXPECT_FALSE(data->socket().receive(Millis(3000)));
}

TEST_F(TcpRelayTest, InboundPeerWithoutPermissionIsClosedAtOnce) {
  start();
  StreamTurn control(Transport::kTcp, server_address());
  const Address relayed = allocate(control);
  int peer = connect_to(relayed);
  ASSERT_GE(peer, 0);
  EXPECT_TRUE(closed_within(peer, Millis(3000)));
  EXPECT_FALSE(control.wait_attempt(Millis(300)));
  close(peer);
}

TEST_F(TcpRelayTest, ConnectToADeniedPeerIs403) {
  start("");  // loopback peers refused (the default)
  TcpEchoPeer peer;
  StreamTurn control(Transport::kTcp, server_address());
  allocate(control);
  EXPECT_EQ(control.connect(peer.address()).error, 403);
  // The server's own listening port.
  EXPECT_EQ(control.connect(server_address()).error, 403);
  EXPECT_TRUE(peer.sources().empty());
}

TEST_F(TcpRelayTest, ConnectToAClosedPortIs447) {
  start();
  int fd = tcp_socket_bound("127.0.0.1");  // bound, not listening: connections are refused
  const Address nobody = local_address(fd);
  StreamTurn control(Transport::kTcp, server_address());
  allocate(control);
  EXPECT_EQ(control.connect(nobody).error, 447);
  close(fd);
}

// Opt-in (CONFORMANCE.md, secure defaults): a TCP relay opens connections from this host.
TEST_F(TcpRelayTest, OffByDefault) {
  start("allow-loopback-peers\n", false);
  StreamTurn control(Transport::kTcp, server_address());
  EXPECT_EQ(control.allocate_tcp().error, 442);
  // UDP relays are unaffected.
  EXPECT_TRUE(control
                  .request(stun::Method::kAllocate,
                           [](stun::MessageBuilder& b) {
                             b.add(attr::RequestedTransport{attr::RequestedTransport::kUdp});
                           })
                  .success);
}

// Given both (tcp-relay in the base config), the refusal wins.
TEST_F(TcpRelayTest, NoTcpRelayIs442) {
  start("allow-loopback-peers\nno-tcp-relay\n");
  StreamTurn control(Transport::kTcp, server_address());
  EXPECT_EQ(control.allocate_tcp().error, 442);
  StreamTurn udp(Transport::kUdp, server_address());
  EXPECT_EQ(udp.allocate_tcp().error, 442);
}

TEST_F(TcpRelayTest, TcpAllocationOverUdpIs400) {
  start();
  StreamTurn udp(Transport::kUdp, server_address());
  EXPECT_EQ(udp.allocate_tcp().error, 400);
}

TEST_F(TcpRelayTest, ForeignOrUnknownConnectionIdIsRefusedAndClosed) {
  start();
  TcpEchoPeer peer;
  StreamTurn control(Transport::kTcp, server_address());
  allocate(control);
  auto c = control.connect(peer.address());
  ASSERT_TRUE(c.success) << c.error;
  const std::uint32_t id = c.get<attr::ConnectionId>()->id;
  // Another user's ConnectionBind for alice's connection: 441, and the connection closes.
  StreamTurn mallory(Transport::kTcp, server_address(), "bob", "hunter2");
  mallory.learn(control);
  EXPECT_EQ(mallory.connection_bind(id).error, 441);
  EXPECT_TRUE(closed_within(mallory.socket().fd(), Millis(3000)));
  // A made-up id: 400, closed.
  StreamTurn guesser(Transport::kTcp, server_address());
  guesser.learn(control);
  EXPECT_EQ(guesser.connection_bind(id ^ 0x5A5A5A5A).error, 400);
  EXPECT_TRUE(closed_within(guesser.socket().fd(), Millis(3000)));
  // Alice's own bind still works.
  auto data = bind(control, id);
  ASSERT_TRUE(data);
  echo_round_trips(*data, 3);
}

TEST_F(TcpRelayTest, DeletingTheAllocationClosesItsConnections) {
  start();
  StreamTurn control(Transport::kTcp, server_address());
  const Address relayed = allocate(control);
  ASSERT_TRUE(control.create_permission(*Address::parse_ip("127.0.0.1", 0)).success);
  int peer = connect_to(relayed);
  ASSERT_GE(peer, 0);
  auto attempt = control.wait_attempt(Millis(3000));
  ASSERT_TRUE(attempt);
  auto data = bind(control, attempt->second);
  ASSERT_TRUE(data);
  ASSERT_TRUE(control.refresh(0).success);
  EXPECT_TRUE(closed_within(peer, Millis(3000)));
  EXPECT_FALSE(data->socket().receive(Millis(3000)));  // closed too
  // The relayed address listens no more.
  EXPECT_LT(connect_to(relayed), 0);
  close(peer);
}

// A data connection that never reads while its peer sends as fast as it can: the relay stops
// reading the peer (its TCP window closes) instead of buffering. Before the pipe's bounds the
// server would hold everything the peer sent.
TEST_F(TcpRelayTest, NonReadingDataConnectionCannotGrowServerMemory) {
  start();
  StreamTurn control(Transport::kTcp, server_address());
  const Address relayed = allocate(control);
  ASSERT_TRUE(control.create_permission(*Address::parse_ip("127.0.0.1", 0)).success);
  int peer = connect_to(relayed);
  ASSERT_GE(peer, 0);
  auto attempt = control.wait_attempt(Millis(3000));
  ASSERT_TRUE(attempt);
  auto data = bind(control, attempt->second);
  ASSERT_TRUE(data);
  int small = 4096;
  setsockopt(data->socket().fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  const long before = rss_kb(server_->pid());
  std::vector<std::uint8_t> chunk(64 * 1024, 0x55);
  std::size_t sent = 0;
  auto until = Clock::now() + Millis(2000);
  while (Clock::now() < until) {
    ssize_t n = send(peer, chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else {
      std::this_thread::sleep_for(Millis(5));
    }
  }
  const long after = rss_kb(server_->pid());
  // What the kernel buffers (both sockets) plus the relay's two bounded buffers: a few MB at
  // most, whatever the peer tries to send.
  EXPECT_LT(sent, std::size_t{32} << 20) << "the peer was never slowed down";
  EXPECT_LT(after - before, kRssGrowthKb) << "RSS " << before << " -> " << after << " kB";
  close(peer);
}

// The other way round: a peer that never reads while the client's data connection sends as fast
// as it can. The relay stops reading the client instead of buffering for the peer.
TEST_F(TcpRelayTest, NonReadingPeerCannotGrowServerMemory) {
  start();
  int listener = tcp_socket_bound("127.0.0.1");
  int small = 4096;
  setsockopt(listener, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  ASSERT_EQ(::listen(listener, 4), 0);
  StreamTurn control(Transport::kTcp, server_address());
  allocate(control);
  auto c = control.connect(local_address(listener));
  ASSERT_TRUE(c.success) << c.error;
  auto data = bind(control, c.get<attr::ConnectionId>()->id);
  ASSERT_TRUE(data);
  const long before = rss_kb(server_->pid());
  std::vector<std::uint8_t> chunk(64 * 1024, 0x66);
  std::size_t sent = 0;
  auto until = Clock::now() + Millis(2000);
  while (Clock::now() < until) {
    ssize_t n = send(data->socket().fd(), chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else {
      std::this_thread::sleep_for(Millis(5));
    }
  }
  const long after = rss_kb(server_->pid());
  EXPECT_LT(sent, std::size_t{32} << 20) << "the client was never slowed down";
  EXPECT_LT(after - before, kRssGrowthKb) << "RSS " << before << " -> " << after << " kB";
  close(listener);  // the peer connection (never accepted) goes with it
}

// max-bps covers a TCP allocation's connections (a token bucket per allocation): 60 KB from a
// peer at 20,000 B/s (a one-second burst) take about two seconds to arrive, not milliseconds.
TEST_F(TcpRelayTest, MaxBpsPacesThePipe) {
  start("allow-loopback-peers\nmax-bps=20000\n");
  StreamTurn control(Transport::kTcp, server_address());
  const Address relayed = allocate(control);
  ASSERT_TRUE(control.create_permission(*Address::parse_ip("127.0.0.1", 0)).success);
  int peer = connect_to(relayed);
  ASSERT_GE(peer, 0);
  auto attempt = control.wait_attempt(Millis(3000));
  ASSERT_TRUE(attempt);
  auto data = bind(control, attempt->second);
  ASSERT_TRUE(data);
  std::vector<std::uint8_t> block(60000, 0x77);
  const auto began = Clock::now();
  ASSERT_TRUE(send_all(peer, block));
  EXPECT_EQ(recv_exactly(data->socket().fd(), block.size(), Millis(10000)).size(), block.size());
  const auto took = std::chrono::duration_cast<Millis>(Clock::now() - began);
  EXPECT_GE(took.count(), 1500) << "60 KB at 20,000 B/s arrived in " << took.count() << " ms";
  // The allocation ends with its connection open: its rate-limit group goes with it (once
  // aborted the server: the group was freed while the connection's free was still pending).
  ASSERT_TRUE(control.refresh(0).success);
  EXPECT_TRUE(closed_within(peer, Millis(3000)));
  close(peer);
}

// RFC 6062 §5.3 across workers: each data connection lands on the worker the kernel picks,
// the peer connection lives on the allocation's; every ConnectionBind must succeed.
TEST_F(TcpRelayTest, ConnectionBindOnAnyWorker) {
  ThreadsForThisTest threads("4");
  const std::uint16_t web = free_port();
  start("allow-loopback-peers\nprometheus\nweb-listening-port=" + std::to_string(web) + "\n");
  StreamTurn control(Transport::kTcp, server_address());
  allocate(control);
  // One peer per connection (§5.2: one connection per peer address), each bound, used and
  // kept open (the cap is 64).
  std::vector<std::unique_ptr<StreamTurn>> data;
  std::vector<std::unique_ptr<TcpEchoPeer>> peers;
  for (int i = 0; i < 24; ++i) {
    peers.push_back(std::make_unique<TcpEchoPeer>());
    auto c = control.connect(peers.back()->address());
    ASSERT_TRUE(c.success) << "connect " << i << ": " << c.error;
    auto d = bind(control, c.get<attr::ConnectionId>()->id);
    ASSERT_TRUE(d) << "bind " << i;
    echo_round_trips(*d, 2);
    data.push_back(std::move(d));
  }
  auto metrics = http_get(*Address::parse_ip("127.0.0.1", web), "/metrics");
  ASSERT_TRUE(metrics);
  // With 4 workers about three in four land elsewhere: some were handed over.
  EXPECT_EQ(metrics->body.find("ferry_tcp_relay_events_total{event=\"handoff\"} 0\n"),
            std::string::npos);
}

// A control connection holds its allocation on its worker: a ConnectionBind on it is 400
// whichever worker owns the id it names. Once it was handed to the id's worker (as a data
// connection would be): the answer there closed it, and its allocation stayed behind on the
// first worker, cut off from its connection (no Refresh, no close) for its whole lifetime.
TEST_F(TcpRelayTest, ConnectionBindOnAControlConnectionIs400OnEveryWorker) {
  ThreadsForThisTest threads("2");
  start();
  auto control = std::make_unique<StreamTurn>(Transport::kTcp, server_address());
  const Address relayed = allocate(*control);
  // Ids 2 and 3: one belongs to each worker (id % workers), so one is another worker's.
  EXPECT_EQ(control->connection_bind(2).error, 400);
  EXPECT_EQ(control->connection_bind(3).error, 400);
  // The allocation is still the connection's.
  EXPECT_TRUE(control->refresh(600).success);
  // RFC 8656 §3.1: closing the connection ends it at once; its relay listens no more.
  control.reset();
  bool listening = true;
  for (auto until = Clock::now() + Millis(3000); listening && Clock::now() < until;) {
    int fd = connect_to(relayed);
    listening = fd >= 0;
    if (listening) {
      close(fd);
      std::this_thread::sleep_for(Millis(50));
    }
  }
  EXPECT_FALSE(listening);
}

// The value of one sample of the Prometheus text (`name_and_labels value`); -1 when absent.
long metric(const std::string& body, const std::string& name_and_labels) {
  auto at = body.find(name_and_labels + " ");
  if (at == std::string::npos) return -1;
  return std::stol(body.substr(at + name_and_labels.size() + 1));
}

// A stranger's connection is handed between workers once at most. Pipelined ConnectionBinds
// (no credentials needed: the handoff comes before authentication) whose ids alternate
// between two workers once bounced the connection back and forth, one handoff per 28-byte
// message, each copying what was left of the input (up to 64 KB): quadratic work and a
// cross-thread handoff per message for a few bytes sent.
TEST_F(TcpRelayTest, PipelinedConnectionBindsCannotBounceAConnectionBetweenWorkers) {
  ThreadsForThisTest threads("2");
  const std::uint16_t web = free_port();
  start("allow-loopback-peers\nprometheus\nweb-listening-port=" + std::to_string(web) + "\n");
  constexpr int kBinds = 200;
  std::vector<std::uint8_t> burst;
  for (int i = 0; i < kBinds; ++i) {
    std::vector<std::uint8_t> buf(64);
    stun::MessageBuilder b(MutableBytes(buf.data(), buf.size()), stun::Method::kConnectionBind,
                           stun::Class::kRequest, random_tid());
    b.add(attr::ConnectionId{static_cast<std::uint32_t>(2 + i % 2)});
    Bytes out = b.finish();
    burst.insert(burst.end(), out.begin(), out.end());
  }
  int fd = connect_to(server_address());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(send_all(fd, burst));
  // Every one is answered (401: no credentials), wherever the connection ends up.
  std::size_t answers = 0;
  std::vector<std::uint8_t> in;
  for (auto until = Clock::now() + Millis(5000); answers < kBinds && Clock::now() < until;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    std::uint8_t buf[4096];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    in.insert(in.end(), buf, buf + n);
    while (in.size() >= 20) {
      const std::size_t size = 20 + (std::size_t{in[2]} << 8 | in[3]);
      if (in.size() < size) break;
      auto v = stun::MessageView::parse(Bytes(in.data(), size));
      if (v && v->get<attr::ErrorCode>() && v->get<attr::ErrorCode>()->code == 401) ++answers;
      in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(size));
    }
  }
  EXPECT_EQ(answers, std::size_t{kBinds});
  auto metrics = http_get(*Address::parse_ip("127.0.0.1", web), "/metrics");
  ASSERT_TRUE(metrics);
  const long handoffs = metric(metrics->body, "ferry_tcp_relay_events_total{event=\"handoff\"}");
  EXPECT_GE(handoffs, 0);
  EXPECT_LE(handoffs, 1);
  close(fd);
}

// Answers still queued for a connection when it is handed to another worker go with it.
// They were dropped with the first worker's buffer: here a Binding request and a
// ConnectionBind for each worker's ids, pipelined, lost one or two of their three answers.
// A Binding request and ConnectionBinds for ids 2 and 3 (one per worker, id % 2), in one
// write: all three answered, in order, on whichever worker each was handled.
void expect_answers_across_a_handoff(Transport t, const Address& server) {
  std::vector<std::uint8_t> burst;
  std::vector<stun::TransactionId> tids;
  for (int i = 0; i < 3; ++i) {
    std::vector<std::uint8_t> buf(64);
    tids.push_back(random_tid());
    stun::MessageBuilder b(MutableBytes(buf.data(), buf.size()),
                           i == 0 ? stun::Method::kBinding : stun::Method::kConnectionBind,
                           stun::Class::kRequest, tids.back());
    if (i > 0) b.add(attr::ConnectionId{static_cast<std::uint32_t>(1 + i)});
    Bytes out = b.finish();
    burst.insert(burst.end(), out.begin(), out.end());
  }
  auto s = ClientSocket::open(t, server, nullptr);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->send(Bytes(burst.data(), burst.size())));
  std::vector<stun::TransactionId> answered;
  while (answered.size() < tids.size()) {
    auto m = s->receive(Millis(3000));
    if (!m) break;
    auto v = stun::MessageView::parse(Bytes(m->data(), m->size()));
    if (v) answered.push_back(v->transaction_id());
  }
  EXPECT_EQ(answered, tids);
}

TEST_F(TcpRelayTest, AnswersQueuedBeforeAHandoffAreDelivered) {
  ThreadsForThisTest threads("2");
  start();
  expect_answers_across_a_handoff(Transport::kTcp, server_address());
}

class TcpRelayTlsTest : public TcpRelayTest {
 protected:
  void SetUp() override {
    std::string log;
    auto cert = make_test_certificate(dir_, &log);
    ASSERT_TRUE(cert) << log;
    cert_ = *cert;
  }
  void start_tls() {
    launch([&](std::uint16_t port) {
      tls_port_ = port;  // TLS and plain TCP on the same port, told apart by the first byte
      return "listening-ip=127.0.0.1\nlistening-port=" + std::to_string(port) +
             "\ntls-listening-port=" + std::to_string(port) +
             "\nrelay-ip=127.0.0.1\nmin-port=45000\nmax-port=45999\nrealm=example.org\n"
             "user=alice:secret\nallow-loopback-peers\ntcp-relay\ncert=" +
             cert_.cert + "\npkey=" + cert_.key + "\n";
    });
  }
  TempDir dir_;
  TestCertificate cert_;
  std::uint16_t tls_port_ = 0;
};

TEST_F(TcpRelayTlsTest, ConnectionBindOverTlsOnAnyWorker) {
  ThreadsForThisTest threads("4");
  start_tls();
  StreamTurn control(Transport::kTls, server_address());
  allocate(control);
  std::vector<std::unique_ptr<TcpEchoPeer>> peers;
  for (int i = 0; i < 8; ++i) {
    peers.push_back(std::make_unique<TcpEchoPeer>());
    auto c = control.connect(peers.back()->address());
    ASSERT_TRUE(c.success) << c.error;
    auto data = bind(control, c.get<attr::ConnectionId>()->id, Transport::kTls);
    ASSERT_TRUE(data) << "bind " << i;
    echo_round_trips(*data, 3);
  }
}

// Over TLS the queued answers are plaintext the session has not encrypted yet (or one whose
// record it has begun to write): they move with the session and are written first.
TEST_F(TcpRelayTlsTest, AnswersQueuedBeforeAHandoffAreDeliveredOverTls) {
  ThreadsForThisTest threads("2");
  start_tls();
  expect_answers_across_a_handoff(Transport::kTls, server_address());
}

}  // namespace
}  // namespace ferry::testing
