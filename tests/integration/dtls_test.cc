// TURN over DTLS 1.2 (RFC 8656 §3.1, RFC 7350 §4, RFC 6347) against the real turnserver on
// loopback, with a certificate the test makes: relaying both ways, DTLS beside plain UDP on
// one port, coturn's client over DTLS, and what a stranger can make a DTLS listener hold or
// send (dtls_sessions.h lists the abuse cases): a ClientHello without a cookie leaves no
// state and earns one datagram no larger than itself, a handshake that stops is dropped,
// sessions count against the per-address limit, garbage is ignored, and a client restarting
// from the same port gets a new session.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "client/turn_client.h"
#include "ferry/stun/message.h"
#include "http_client.h"
#include "server_process.h"
#include "tls_server_test.h"

namespace ferry::testing {
namespace {

using client::ClientSocket;
using client::TurnClient;

// A UDP socket on 127.0.0.1 (a port the kernel picks, or `port`), connected to `to`.
int udp_connected(const Address& to, std::uint16_t port = 0) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_storage ss;
  socklen_t len = Address::parse_ip("127.0.0.1", port)->to_sockaddr(&ss);
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    close(fd);
    return -1;
  }
  len = to.to_sockaddr(&ss);
  if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

Address local_of(int fd) {
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  return Address::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

std::optional<std::vector<std::uint8_t>> recv_within(int fd, Millis wait) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(wait.count())) <= 0) return std::nullopt;
  std::vector<std::uint8_t> buf(4096);
  ssize_t n = recv(fd, buf.data(), buf.size(), 0);
  if (n < 0) return std::nullopt;
  buf.resize(static_cast<std::size_t>(n));
  return buf;
}

// A DTLS client driven by hand over memory BIOs: each flight comes out as bytes the test
// sends (or not) itself.
class HandDtlsClient {
 public:
  HandDtlsClient() {
    ctx_ = SSL_CTX_new(DTLS_client_method());
    SSL_CTX_set_min_proto_version(ctx_, DTLS1_2_VERSION);
    ssl_ = SSL_new(ctx_);
    rbio_ = BIO_new(BIO_s_mem());
    wbio_ = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(rbio_, -1);
    SSL_set_bio(ssl_, rbio_, wbio_);
    SSL_set_connect_state(ssl_);
  }
  ~HandDtlsClient() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
    ERR_clear_error();
  }
  // Feeds what the server sent (if anything) and returns the client's next flight.
  std::vector<std::uint8_t> step(const std::vector<std::uint8_t>& in = {}) {
    if (!in.empty()) BIO_write(rbio_, in.data(), static_cast<int>(in.size()));
    (void)SSL_do_handshake(ssl_);
    return take_output();
  }
  bool established() const { return SSL_is_init_finished(ssl_) == 1; }
  // Runs the whole handshake over `fd` (connected to the server); every datagram the client
  // sent is kept in `sent`.
  bool handshake(int fd, std::vector<std::vector<std::uint8_t>>* sent) {
    auto out = step();
    for (int round = 0; round < 10 && !established(); ++round) {
      sent->push_back(out);
      send(fd, out.data(), out.size(), 0);
      // A flight may take several datagrams: read until the handshake moves on.
      std::vector<std::uint8_t> got;
      for (;;) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, got.empty() ? 1000 : 50) <= 0) break;
        std::vector<std::uint8_t> d(4096);
        ssize_t n = recv(fd, d.data(), d.size(), 0);
        if (n <= 0) break;
        d.resize(static_cast<std::size_t>(n));
        BIO_write(rbio_, d.data(), static_cast<int>(d.size()));
        got.insert(got.end(), d.begin(), d.end());
      }
      if (got.empty()) return false;
      (void)SSL_do_handshake(ssl_);
      out = take_output();
    }
    if (!out.empty()) {  // the client's Finished
      sent->push_back(out);
      send(fd, out.data(), out.size(), 0);
    }
    return established();
  }
  // One application record carrying `plain`.
  std::vector<std::uint8_t> seal(const std::vector<std::uint8_t>& plain) {
    SSL_write(ssl_, plain.data(), static_cast<int>(plain.size()));
    return take_output();
  }
  std::optional<std::vector<std::uint8_t>> open(const std::vector<std::uint8_t>& record) {
    BIO_write(rbio_, record.data(), static_cast<int>(record.size()));
    std::vector<std::uint8_t> out(4096);
    int n = SSL_read(ssl_, out.data(), static_cast<int>(out.size()));
    if (n <= 0) return std::nullopt;
    out.resize(static_cast<std::size_t>(n));
    return out;
  }

 private:
  std::vector<std::uint8_t> take_output() {
    std::vector<std::uint8_t> out(static_cast<std::size_t>(BIO_pending(wbio_)));
    if (!out.empty()) BIO_read(wbio_, out.data(), static_cast<int>(out.size()));
    return out;
  }

 public:
 private:
  SSL_CTX* ctx_;
  SSL* ssl_;
  BIO* rbio_;
  BIO* wbio_;
};

// A metric's value summed over its samples with `labels` ("" for none); -1 when absent.
double metric(const std::string& body, const std::string& name, const std::string& labels = "") {
  const std::string series = "\n" + name + (labels.empty() ? "" : "{" + labels + "}") + " ";
  auto at = body.find(series);
  if (at == std::string::npos) return -1;
  return std::stod(body.substr(at + series.size()));
}

class DtlsTest : public TlsServerTest {
 protected:
  void start(const std::string& extra = "") {
    const std::string config =
        "listening-ip=127.0.0.1\nlistening-port=" + std::to_string(port_) +
        "\ntls-listening-port=" + std::to_string(tls_port_) + "\ncert=" + cert_ + "\npkey=" + key_ +
        "\nrelay-ip=127.0.0.1\nmin-port=45000\nmax-port=45999\nrealm=example.org\n"
        "user=alice:secret\nallow-loopback-peers\nrelay-threads=2\nprometheus\n"
        "web-listening-port=" +
        std::to_string(web_) + "\n" + extra;
    server_ = std::make_unique<ServerProcess>(config, *Address::parse_ip("127.0.0.1", port_));
    ASSERT_TRUE(server_->ready()) << server_->log();
  }
  Address dtls_address() const { return *Address::parse_ip("127.0.0.1", tls_port_); }
  std::string metrics() const {
    auto r = http_get(*Address::parse_ip("127.0.0.1", web_), "/metrics");
    return r ? r->body : std::string();
  }

  std::uint16_t web_ = free_port();
};

// A UDP peer on loopback for relayed data.
struct Peer {
  Peer() {
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_storage ss;
    socklen_t len = Address::parse_ip("127.0.0.1", 0)->to_sockaddr(&ss);
    bind(fd, reinterpret_cast<sockaddr*>(&ss), len);
    address = local_of(fd);
  }
  ~Peer() { close(fd); }
  int fd;
  Address address;
};

// Allocates over `s`, relays one datagram each way (Send/Data, then a channel), checks both.
void relay_both_ways(ClientSocket s) {
  TurnClient c(std::move(s));
  auto a = c.allocate("alice", "secret", 600);
  ASSERT_TRUE(a.ok) << a.error_code << " " << a.reason;
  Peer peer;
  ASSERT_TRUE(c.create_permission(peer.address).ok);
  const std::vector<std::uint8_t> out{'o', 'v', 'e', 'r', ' ', 'd', 't', 'l', 's'};
  ASSERT_TRUE(c.send_indication(peer.address, out));
  std::uint8_t buf[2048];
  sockaddr_storage from;
  socklen_t flen = sizeof from;
  pollfd p{peer.fd, POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 2000), 1) << "nothing reached the peer";
  ssize_t n = recvfrom(peer.fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &flen);
  ASSERT_EQ(n, static_cast<ssize_t>(out.size()));
  EXPECT_EQ(Address::from_sockaddr(reinterpret_cast<sockaddr*>(&from), flen), a.relayed);
  const std::vector<std::uint8_t> back{'b', 'a', 'c', 'k'};
  sendto(peer.fd, back.data(), back.size(), 0, reinterpret_cast<sockaddr*>(&from), flen);
  auto got = c.receive_data(Millis(2000));
  ASSERT_TRUE(got) << "nothing came back over DTLS";
  EXPECT_EQ(got->data, back);
  // A channel: ChannelData over DTLS is not padded (RFC 8656 §12.5), 5 bytes stay 5.
  ASSERT_TRUE(c.channel_bind(0x4001, peer.address).ok);
  const std::vector<std::uint8_t> odd{'f', 'i', 'v', 'e', '!'};
  ASSERT_TRUE(c.send_channel_data(0x4001, odd));
  ASSERT_EQ(poll(&p, 1, 2000), 1) << "no ChannelData reached the peer";
  n = recvfrom(peer.fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &flen);
  EXPECT_EQ(n, 5);
  sendto(peer.fd, odd.data(), odd.size(), 0, reinterpret_cast<sockaddr*>(&from), flen);
  got = c.receive_data(Millis(2000));
  ASSERT_TRUE(got) << "no ChannelData came back";
  EXPECT_EQ(got->data, odd);
}

TEST_F(DtlsTest, RelaysBothWaysOverDtls) {
  start();
  EXPECT_NE(server_->log().find("(DTLS)"), std::string::npos) << server_->log();
  std::string err;
  auto s = ClientSocket::open(Transport::kDtls, dtls_address(), &err);
  ASSERT_TRUE(s) << err;
  EXPECT_EQ(s->alpn(), "stun.turn");
  relay_both_ways(std::move(*s));
  EXPECT_EQ(metric(metrics(), "ferry_dtls_sessions_current"), 1);
}

// The plain UDP port takes DTLS too (coturn does): the first byte tells them apart, and plain
// STUN there still works.
TEST_F(DtlsTest, ThePlainPortTakesDtlsToo) {
  start();
  const Address plain = *Address::parse_ip("127.0.0.1", port_);
  std::string err;
  auto s = ClientSocket::open(Transport::kDtls, plain, &err);
  ASSERT_TRUE(s) << err;
  relay_both_ways(std::move(*s));
  auto u = ClientSocket::open(Transport::kUdp, plain, &err);
  ASSERT_TRUE(u) << err;
  TurnClient c(std::move(*u));
  EXPECT_TRUE(c.allocate("alice", "secret", 600).ok);
}

// One port for both, like 443 for TLS and TCP.
TEST_F(DtlsTest, DtlsAndUdpOnOnePort) {
  tls_port_ = port_;
  start();
  std::string err;
  auto s = ClientSocket::open(Transport::kDtls, dtls_address(), &err);
  ASSERT_TRUE(s) << err;
  relay_both_ways(std::move(*s));
}

// RFC 6347 §4.2.1: a ClientHello without a cookie, from any source, gets one
// HelloVerifyRequest no larger than itself, and the server keeps nothing for it.
TEST_F(DtlsTest, AClientHelloWithoutACookieLeavesNoState) {
  start();
  std::size_t answers = 0;
  for (int i = 0; i < 50; ++i) {
    int fd = udp_connected(dtls_address());
    ASSERT_GE(fd, 0);
    HandDtlsClient hand;
    auto hello = hand.step();
    ASSERT_FALSE(hello.empty());
    ASSERT_EQ(send(fd, hello.data(), hello.size(), 0), static_cast<ssize_t>(hello.size()));
    auto hvr = recv_within(fd, Millis(1000));
    if (hvr) {
      ++answers;
      EXPECT_LE(hvr->size(), hello.size()) << "the answer amplifies";
      ASSERT_GT(hvr->size(), 13u);
      EXPECT_EQ((*hvr)[13], 3) << "not a HelloVerifyRequest";  // RFC 6347 §4.2.2
      // No second datagram: the server sent one answer and is waiting.
      EXPECT_FALSE(recv_within(fd, Millis(20)));
    }
    close(fd);
  }
  EXPECT_EQ(answers, 50u);
  const std::string m = metrics();
  EXPECT_EQ(metric(m, "ferry_dtls_sessions_total"), 0) << m;
}

// A client that answers its cookie and then goes silent holds a session only until the
// handshake deadline (tcp-frame-timeout).
TEST_F(DtlsTest, AHandshakeThatStopsIsDropped) {
  start("tcp-frame-timeout=1\n");
  int fd = udp_connected(dtls_address());
  ASSERT_GE(fd, 0);
  HandDtlsClient hand;
  auto hello = hand.step();
  send(fd, hello.data(), hello.size(), 0);
  auto hvr = recv_within(fd, Millis(1000));
  ASSERT_TRUE(hvr);
  auto hello2 = hand.step(*hvr);
  ASSERT_FALSE(hello2.empty());
  send(fd, hello2.data(), hello2.size(), 0);
  ASSERT_TRUE(recv_within(fd, Millis(1000))) << "no ServerHello flight";
  EXPECT_EQ(metric(metrics(), "ferry_dtls_sessions_current"), 1);
  std::this_thread::sleep_for(Millis(3000));  // deadline 1 s, checked by the 1 s tick
  const std::string m = metrics();
  EXPECT_EQ(metric(m, "ferry_dtls_sessions_current"), 0) << m;
  EXPECT_GE(metric(m, "ferry_tcp_connections_closed_total", "reason=\"slow_frame\""), 1);
  close(fd);
}

// Sessions count against max-tcp-connections-per-ip, like TLS connections.
TEST_F(DtlsTest, PerAddressLimitCoversDtls) {
  start("max-tcp-connections-per-ip=2\n");
  std::string err;
  auto a = ClientSocket::open(Transport::kDtls, dtls_address(), &err);
  auto b = ClientSocket::open(Transport::kDtls, dtls_address(), &err);
  ASSERT_TRUE(a && b) << err;
  EXPECT_FALSE(ClientSocket::open(Transport::kDtls, dtls_address(), &err))
      << "a third session from one address";
  const Address other = *Address::parse_ip("127.0.0.2", 0);
  EXPECT_TRUE(ClientSocket::open(Transport::kDtls, dtls_address(), &err, &other)) << err;
  EXPECT_GE(metric(metrics(), "ferry_tcp_connections_refused_total", "reason=\"per_ip\""), 1);
}

// Bytes that look like DTLS records but are not (and records of an unknown session) get no
// answer, and the listener keeps serving.
TEST_F(DtlsTest, GarbageGetsNoAnswer) {
  start();
  int fd = udp_connected(dtls_address());
  std::vector<std::uint8_t> junk(200);
  for (int first : {20, 21, 22, 23, 63}) {
    for (std::size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<std::uint8_t>(i * 7 + 3);
    junk[0] = static_cast<std::uint8_t>(first);
    send(fd, junk.data(), junk.size(), 0);
    junk.resize(14);
    send(fd, junk.data(), junk.size(), 0);
    junk.resize(200);
  }
  EXPECT_FALSE(recv_within(fd, Millis(300)));
  close(fd);
  std::string err;
  EXPECT_TRUE(ClientSocket::open(Transport::kDtls, dtls_address(), &err)) << err;
}

// A client that restarts from the same address and port (RFC 6347 §4.2.8) gets a new session
// once its new cookie checks out; the old session's allocation goes with it.
TEST_F(DtlsTest, ARestartFromTheSamePortGetsANewSession) {
  start();
  const std::uint16_t port = free_port();
  const Address local = *Address::parse_ip("127.0.0.1", port);
  std::string err;
  {
    auto s = ClientSocket::open(Transport::kDtls, dtls_address(), &err, &local);
    ASSERT_TRUE(s) << err;
    TurnClient c(std::move(*s));
    ASSERT_TRUE(c.allocate("alice", "secret", 600).ok);
  }  // gone without close_notify? ClientSocket frees its SSL without a shutdown
  auto s = ClientSocket::open(Transport::kDtls, dtls_address(), &err, &local);
  ASSERT_TRUE(s) << err;
  TurnClient c(std::move(*s));
  auto a = c.allocate("alice", "secret", 600);
  EXPECT_TRUE(a.ok) << a.error_code << ": the old session's allocation stayed";
  EXPECT_EQ(metric(metrics(), "ferry_dtls_sessions_current"), 1);
}

// A Binding over a hand-driven session gets its answer.
bool binding_answered(HandDtlsClient& hand, int fd) {
  std::array<std::uint8_t, 64> buf{};
  stun::MessageBuilder b(buf, 0x001, stun::Class::kRequest, stun::TransactionId{4, 2});
  Bytes req = b.finish();
  auto record = hand.seal(std::vector<std::uint8_t>(req.begin(), req.end()));
  send(fd, record.data(), record.size(), 0);
  for (int i = 0; i < 5; ++i) {
    auto got = recv_within(fd, Millis(1000));
    if (!got) return false;
    if (auto plain = hand.open(*got);
        plain && stun::MessageView::parse(Bytes(plain->data(), plain->size()))) {
      return true;
    }
  }
  return false;
}

// Review finding: OpenSSL 3.0 answers a record shorter than the cipher's overhead with a fatal
// alert. A spoofer who knows (or sprays) a client's address could end its session and its
// allocation with one 21-byte datagram; such records never reach OpenSSL now.
TEST_F(DtlsTest, AShortSpoofedRecordDoesNotEndASession) {
  start();
  int fd = udp_connected(dtls_address());
  HandDtlsClient hand;
  std::vector<std::vector<std::uint8_t>> sent;
  ASSERT_TRUE(hand.handshake(fd, &sent));
  ASSERT_TRUE(binding_answered(hand, fd));
  for (std::uint8_t body : {1, 8, 15, 23}) {
    // Application data, DTLS 1.2, epoch 1, some sequence number, `body` bytes.
    std::vector<std::uint8_t> forged{23, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 0x40, body, 0, body};
    forged.resize(13 + body, 0xAA);
    send(fd, forged.data(), forged.size(), 0);
  }
  EXPECT_FALSE(recv_within(fd, Millis(200))) << "an alert went out";
  EXPECT_TRUE(binding_answered(hand, fd)) << "the session ended";
  EXPECT_EQ(metric(metrics(), "ferry_dtls_sessions_current"), 1);
  close(fd);
}

// Review finding: a copy of the ClientHello (with its cookie) that started a session, replayed
// by someone on the path or duplicated by the network, must not replace the session.
TEST_F(DtlsTest, AReplayedClientHelloDoesNotReplaceTheSession) {
  start();
  int fd = udp_connected(dtls_address());
  HandDtlsClient hand;
  std::vector<std::vector<std::uint8_t>> sent;
  ASSERT_TRUE(hand.handshake(fd, &sent));
  ASSERT_GE(sent.size(), 2u);
  const auto& hello_with_cookie = sent[1];
  send(fd, hello_with_cookie.data(), hello_with_cookie.size(), 0);
  EXPECT_FALSE(recv_within(fd, Millis(300))) << "the replay was answered";
  EXPECT_TRUE(binding_answered(hand, fd)) << "the session was replaced";
  EXPECT_EQ(metric(metrics(), "ferry_dtls_sessions_total"), 1);
  close(fd);
}

// The allocation ends with its DTLS association when the client closes it (close_notify).
TEST_F(DtlsTest, CloseNotifyEndsTheAllocation) {
  start();
  std::string err;
  auto s = ClientSocket::open(Transport::kDtls, dtls_address(), &err);
  ASSERT_TRUE(s) << err;
  TurnClient c(std::move(*s));
  ASSERT_TRUE(c.allocate("alice", "secret", 600).ok);
  EXPECT_EQ(metric(metrics(), "ferry_dtls_sessions_current"), 1);
  c.socket().shutdown_tls();
  std::this_thread::sleep_for(Millis(300));
  const std::string m = metrics();
  EXPECT_EQ(metric(m, "ferry_dtls_sessions_current"), 0) << m;
  EXPECT_EQ(metric(m, "ferry_allocations_ended_total", "transport=\"dtls\",family=\"ipv4\""), 1)
      << m;
}

// no-dtls: nothing listens for DTLS; the TLS port is TCP only.
TEST_F(DtlsTest, NoDtlsStartsNone) {
  start("no-dtls\n");
  EXPECT_EQ(server_->log().find("DTLS"), std::string::npos) << server_->log();
  std::string err;
  EXPECT_FALSE(ClientSocket::open(Transport::kDtls, dtls_address(), &err));
}

// coturn's own client over DTLS (-S without -t), channel mode, no loss.
TEST_F(DtlsTest, CoturnClientOverDtls) {
  const char* uclient = "/usr/bin/turnutils_uclient";
  const char* peer = "/usr/bin/turnutils_peer";
  if (access(uclient, X_OK) != 0 || access(peer, X_OK) != 0) {
    GTEST_SKIP() << "coturn's client tools are not installed (tools/dev setup installs them)";
  }
  start();
  const std::uint16_t peer_port = free_port_pair();
  ChildProcess echo({peer, "-L", "127.0.0.1", "-p", std::to_string(peer_port)});
  std::this_thread::sleep_for(Millis(200));
  auto r = run_program({uclient, "-S", "-p", std::to_string(tls_port_), "-u", "alice", "-w",
                        "secret", "-e", "127.0.0.1", "-r", std::to_string(peer_port), "-n", "30",
                        "-m", "3", "-l", "170", "127.0.0.1"},
                       Millis(30000));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Total lost packets 0 (0.000000%)"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace ferry::testing
