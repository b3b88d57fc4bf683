// TURN (RFC 8656) against the real turnserver on loopback, driven by the project's TurnClient:
// UDP and TCP control connections, channel and send-indication modes, client-to-client
// relaying, credentials, quotas, expiry and the peer filter.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "client/turn_client.h"
#include "echo_peer.h"
#include "loopback_server_test.h"
#include "server_process.h"

namespace ferry::testing {
namespace {

using client::ClientSocket;
using client::TurnClient;

std::string base_config(std::uint16_t port, const std::string& extra) {
  return "listening-ip=127.0.0.1\nlistening-port=" + std::to_string(port) +
         "\nrelay-ip=127.0.0.1\nmin-port=43000\nmax-port=43999\nrealm=example.org\n"
         "user=alice:secret\nuser=bob:hunter2\nrelay-threads=2\n" +
         extra;
}

class TurnTest : public LoopbackServerTest {
 protected:
  void start(const std::string& extra = "allow-loopback-peers\n") {
    launch([&](std::uint16_t port) { return base_config(port, extra); });
  }
  // Sends `count` packets to the echo peer through the relay and checks each comes back.
  void relay_round_trips(TurnClient& c, const EchoPeer& peer, bool channel, int count) {
    for (int i = 0; i < count; ++i) {
      std::vector<std::uint8_t> payload(100 + static_cast<std::size_t>(i),
                                        static_cast<std::uint8_t>(i));
      bool sent = channel ? c.send_channel_data(0x4000, payload)
                          : c.send_indication(peer.address(), payload);
      ASSERT_TRUE(sent);
      auto got = c.receive_data(Millis(2000));
      ASSERT_TRUE(got) << "packet " << i << " did not come back";
      EXPECT_EQ(got->data, payload);
      EXPECT_EQ(got->peer, peer.address());
      EXPECT_EQ(got->via_channel, channel);
    }
  }
  void relay_mode(Transport t, bool channel) {
    start();
    EchoPeer peer;
    auto c = client(t);
    auto a = c.allocate("alice", "secret", 600);
    ASSERT_TRUE(a.ok) << a.error_code << " " << a.reason;
    EXPECT_TRUE(a.authenticated);
    EXPECT_EQ(a.mapped, c.socket().local());
    EXPECT_EQ(a.relayed.ip_string(), "127.0.0.1");
    EXPECT_GE(a.relayed.port(), 43000);
    EXPECT_LE(a.relayed.port(), 43999);
    auto st =
        channel ? c.channel_bind(0x4000, peer.address()) : c.create_permission(peer.address());
    ASSERT_TRUE(st.ok) << st.error_code << " " << st.reason;
    relay_round_trips(c, peer, channel, 20);
    EXPECT_EQ(peer.last_source(), a.relayed);  // the peer sees the relayed address
    EXPECT_TRUE(c.refresh(0).ok);
  }
};

TEST_F(TurnTest, UdpChannelMode) {
  relay_mode(Transport::kUdp, true);
}
TEST_F(TurnTest, UdpSendIndicationMode) {
  relay_mode(Transport::kUdp, false);
}
TEST_F(TurnTest, TcpChannelMode) {
  relay_mode(Transport::kTcp, true);
}
TEST_F(TurnTest, TcpSendIndicationMode) {
  relay_mode(Transport::kTcp, false);
}

// Without allow-loopback-peers (the default config): the relays are loopback addresses, and
// each is a permitted peer of the other because it is an open relay of this server.
TEST_F(TurnTest, TwoClientsRelayToEachOtherThroughTheirAllocations) {
  start("");
  auto a = client(Transport::kUdp);
  auto b = client(Transport::kTcp);
  auto ra = a.allocate("alice", "secret", 600);
  auto rb = b.allocate("bob", "hunter2", 600);
  ASSERT_TRUE(ra.ok && rb.ok);
  ASSERT_TRUE(a.create_permission(rb.relayed).ok);
  ASSERT_TRUE(b.channel_bind(0x4001, ra.relayed).ok);
  const std::vector<std::uint8_t> hello{'h', 'e', 'l', 'l', 'o'};
  ASSERT_TRUE(a.send_indication(rb.relayed, hello));
  auto got_b = b.receive_data(Millis(2000));
  ASSERT_TRUE(got_b);
  EXPECT_EQ(got_b->data, hello);
  EXPECT_EQ(got_b->peer, ra.relayed);
  EXPECT_TRUE(got_b->via_channel);
  ASSERT_TRUE(b.send_channel_data(0x4001, hello));
  auto got_a = a.receive_data(Millis(2000));
  ASSERT_TRUE(got_a);
  EXPECT_EQ(got_a->peer, rb.relayed);
  EXPECT_FALSE(got_a->via_channel);
  // Only open relays: another port of the relay range on the same address is still refused.
  Address closed = rb.relayed;
  closed.set_port(rb.relayed.port() == 43999 ? 43998 : 43999);
  if (closed != ra.relayed) {
    EXPECT_EQ(a.create_permission(closed).error_code, 403);
  }
  ASSERT_TRUE(b.refresh(0).ok);  // bob's relay closes: no longer a peer
  EXPECT_EQ(a.create_permission(rb.relayed).error_code, 403);
}

// RFC 8489 SHA-256 credentials and USERHASH over real sockets: the client picks SHA-256 from the
// 401's PASSWORD-ALGORITHMS, signs with MESSAGE-INTEGRITY-SHA256 and checks the answers' (the
// TurnClient discards a response whose integrity does not verify); with USERHASH the name never
// crosses the wire. An RFC 5389 client (browsers) and the default client keep working against
// the same server at the same time.
TEST_F(TurnTest, Sha256UserhashAndMd5ClientsTogether) {
  start();
  EchoPeer peer;
  struct Case {
    Transport transport;
    client::TurnOptions options;
  };
  const Case cases[] = {
      {Transport::kUdp, {.password = client::PasswordChoice::kSha256}},
      {Transport::kTcp, {.password = client::PasswordChoice::kSha256, .userhash = true}},
      {Transport::kUdp, {.password = client::PasswordChoice::kMd5, .userhash = true}},
      {Transport::kUdp, {.password = client::PasswordChoice::kRfc5389}},
      {Transport::kTcp, {}},
  };
  std::vector<TurnClient> clients;
  for (const Case& k : cases) clients.push_back(client(k.transport, k.options));
  for (std::size_t i = 0; i < clients.size(); ++i) {
    TurnClient& c = clients[i];
    auto a = c.allocate("alice", "secret", 600);
    ASSERT_TRUE(a.ok) << "client " << i << ": " << a.error_code << " " << a.reason;
    EXPECT_TRUE(a.authenticated) << i;
    ASSERT_TRUE(c.channel_bind(0x4000, peer.address()).ok) << i;
    relay_round_trips(c, peer, true, 5);
    auto r = c.refresh(1200);
    ASSERT_TRUE(r.ok) << "client " << i << ": " << r.error_code << " " << r.reason;
    EXPECT_TRUE(r.authenticated) << i;
    EXPECT_EQ(r.lifetime, 1200u);
  }
  for (TurnClient& c : clients) EXPECT_TRUE(c.refresh(0).ok);
  // A wrong password is 401 with SHA-256 too.
  auto wrong = client(Transport::kUdp, {.password = client::PasswordChoice::kSha256})
                   .allocate("alice", "not-the-password", 600);
  EXPECT_EQ(wrong.error_code, 401);
}

TEST_F(TurnTest, WrongPasswordGets401) {
  start();
  auto c = client(Transport::kUdp);
  auto a = c.allocate("alice", "not-the-password", 600);
  EXPECT_FALSE(a.ok);
  EXPECT_EQ(a.error_code, 401);
  auto u = client(Transport::kUdp).allocate("mallory", "secret", 600);
  EXPECT_EQ(u.error_code, 401);
}

// Stale nonces (438, then a fresh nonce works) are the core's: AllocateTest.StaleNonceGets438*
// on the fake clock; SettingsBuild.EveryBoundRowChangesTheSettings shows stale-nonce reaches
// the core's settings. No wall-clock wait here.

TEST_F(TurnTest, UserQuotaGets486) {
  start("allow-loopback-peers\nuser-quota=1\n");
  auto a = client(Transport::kUdp);
  auto b = client(Transport::kUdp);
  ASSERT_TRUE(a.allocate("alice", "secret", 600).ok);
  auto second = b.allocate("alice", "secret", 600);
  EXPECT_EQ(second.error_code, 486);
  EXPECT_TRUE(
      client(Transport::kUdp).allocate("bob", "hunter2", 600).ok);  // other users unaffected
  ASSERT_TRUE(a.refresh(0).ok);  // the quota comes back with the allocation
  EXPECT_TRUE(b.allocate("alice", "secret", 600).ok);
}

TEST_F(TurnTest, ExpiryFreesTheRelayPort) {
  // One relay port and two-second allocations. The port is a free one, not from the range the
  // other tests (maybe running at the same time) draw from.
  port_ = free_port();
  std::uint16_t only = free_port();
  while (only == port_) only = free_port();
  const std::string p = std::to_string(only);
  std::string conf = "listening-ip=127.0.0.1\nlistening-port=" + std::to_string(port_) +
                     "\nrelay-ip=127.0.0.1\nmin-port=" + p + "\nmax-port=" + p +
                     "\nrealm=example.org\nuser=alice:secret\nmax-allocate-lifetime=2\n";
  server_ = std::make_unique<ServerProcess>(conf, server_address());
  ASSERT_TRUE(server_->ready()) << server_->log();
  auto a = client(Transport::kUdp);
  auto first = a.allocate("alice", "secret", 0);
  ASSERT_TRUE(first.ok) << first.error_code;
  EXPECT_EQ(first.lifetime, 2u);
  EXPECT_EQ(first.relayed.port(), only);
  auto b = client(Transport::kUdp);
  EXPECT_EQ(b.allocate("alice", "secret", 0).error_code, 508);  // the only port is taken
  std::this_thread::sleep_for(Millis(3500));                    // expiry + the one-second sweep
  auto again = client(Transport::kUdp).allocate("alice", "secret", 0);
  EXPECT_TRUE(again.ok) << again.error_code;
  EXPECT_EQ(again.relayed.port(), only);
}

TEST_F(TurnTest, TcpCloseEndsTheAllocationAtOnce) {
  start("allow-loopback-peers\nuser-quota=1\n");
  {
    auto c = client(Transport::kTcp);
    ASSERT_TRUE(c.allocate("alice", "secret", 600).ok);
  }  // connection closed here
  std::this_thread::sleep_for(Millis(200));
  EXPECT_TRUE(client(Transport::kUdp).allocate("alice", "secret", 600).ok);
}

// Whether the server has closed TCP socket `fd`: waits up to `wait` for EOF (or a reset).
bool peer_closed(int fd, Millis wait) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(wait.count())) <= 0) return false;
  std::uint8_t b;
  return recv(fd, &b, 1, MSG_DONTWAIT) <= 0;
}

TEST_F(TurnTest, MaxAllocateTimeoutClosesIdleConnectionsWithoutAnAllocation) {
  start("allow-loopback-peers\nmax-allocate-timeout=1\n");
  auto idle = client(Transport::kTcp);  // connects, never allocates
  auto allocated = client(Transport::kTcp);
  ASSERT_TRUE(allocated.allocate("alice", "secret", 600).ok);
  EXPECT_TRUE(peer_closed(idle.socket().fd(), Millis(4000)));
  // Just as idle, but it holds an allocation: the allocation's lifetime governs it.
  EXPECT_FALSE(peer_closed(allocated.socket().fd(), Millis(500)));
  auto r = allocated.refresh(600);
  EXPECT_TRUE(r.ok) << r.error_code;
}

TEST_F(TurnTest, ForbiddenPeersGet403) {
  start("");  // allow-loopback-peers off
  auto c = client(Transport::kUdp);
  ASSERT_TRUE(c.allocate("alice", "secret", 600).ok);
  for (const char* peer :
       {"127.0.0.1:9", "127.1.2.3:9", "0.0.0.0:9", "169.254.169.254:80", "10.0.0.1:9",
        "172.16.0.1:9", "192.168.1.1:9", "100.64.0.1:9", "224.0.0.1:9", "239.255.255.250:1900",
        "240.0.0.1:9", "255.255.255.255:9", "192.0.2.1:9", "198.18.0.1:9", "168.63.129.16:53"}) {
    auto st = c.create_permission(*Address::parse_endpoint(peer));
    EXPECT_EQ(st.error_code, 403) << peer;
    auto cb = c.channel_bind(0x4002, *Address::parse_endpoint(peer));
    EXPECT_EQ(cb.error_code, 403) << peer;
  }
  // A global unicast address is an ordinary peer: the permission is granted (no packet is sent
  // to it).
  EXPECT_TRUE(c.create_permission(*Address::parse_endpoint("8.8.8.8:9")).ok);
}

TEST_F(TurnTest, ForbiddenIpv6PeerFormsGet403) {
  // An IPv6 allocation (the client reaches the server over ::1 and asks for IPv6: without
  // REQUESTED-ADDRESS-FAMILY a server with an IPv4 address relays on IPv4, RFC 8656 §7.2),
  // loopback peers not allowed.
  port_ = free_port();
  std::string conf =
      "listening-ip=127.0.0.1\nlistening-ip=::1\nlistening-port=" + std::to_string(port_) +
      "\nmin-port=43000\nmax-port=43999\n"
      "realm=example.org\nuser=alice:secret\n";
  server_ = std::make_unique<ServerProcess>(conf, server_address());
  ASSERT_TRUE(server_->ready()) << server_->log();
  std::string err;
  auto s = ClientSocket::open(Transport::kUdp, *Address::parse_ip("::1", port_), &err);
  ASSERT_TRUE(s) << err;
  TurnClient c(std::move(*s));
  auto a =
      c.allocate("alice", "secret", 600, client::AllocateOptions{.requested_family = Family::kV6});
  ASSERT_TRUE(a.ok) << a.error_code;
  ASSERT_TRUE(a.relayed.is_v6());
  // Every IPv4-embedding form of a forbidden IPv4 address, and IPv6's own forbidden ranges.
  for (const char* peer :
       {"[::1]:9", "[::]:9", "[::ffff:127.0.0.1]:9", "[::127.0.0.1]:9", "[64:ff9b::7f00:1]:9",
        "[64:ff9b::a9fe:a9fe]:80", "[2002:7f00:1::1]:9", "[2001:0:7f00:1::1]:9",
        "[::ffff:10.0.0.1]:9", "[::ffff:169.254.169.254]:80", "[fe80::1]:9", "[fec0::1]:9",
        "[fc00::1]:9", "[fd00::1]:9", "[ff02::1]:9", "[64:ff9b:1::1]:9", "[2001:db8::1]:9",
        "[100::1]:9", "[::ffff:0:192.0.2.1]:9"}) {
    EXPECT_EQ(c.create_permission(*Address::parse_endpoint(peer)).error_code, 403) << peer;
    EXPECT_EQ(c.channel_bind(0x4003, *Address::parse_endpoint(peer)).error_code, 403) << peer;
  }
  EXPECT_EQ(c.create_permission(*Address::parse_endpoint("8.8.8.8:9")).error_code, 443);
  EXPECT_TRUE(c.create_permission(*Address::parse_endpoint("[2606:4700:4700::1111]:9")).ok);
}

TEST_F(TurnTest, OwnListeningEndpointIsNeverAPeer) {
  start();  // loopback peers allowed, but not the server's own port
  auto c = client(Transport::kUdp);
  ASSERT_TRUE(c.allocate("alice", "secret", 600).ok);
  EXPECT_EQ(c.create_permission(server_address()).error_code, 403);
  EXPECT_TRUE(c.create_permission(*Address::parse_ip("127.0.0.1", 9)).ok);
}

// external-ip and relay-ip take host names, resolved at start as coturn does (issue 17 item 2).
// "localhost" comes from /etc/hosts, so no DNS server is asked. The relay binds to 127.0.0.2
// and external-ip maps it to localhost's IPv4 address, so the reported relay address shows
// that the name was resolved and used.
TEST_F(TurnTest, ExternalIpAndRelayIpTakeHostNames) {
  launch([](std::uint16_t port) {
    return "listening-ip=127.0.0.1\nlistening-port=" + std::to_string(port) +
           "\nrelay-ip=127.0.0.2\nexternal-ip=localhost/127.0.0.2\nmin-port=43000\n"
           "max-port=43999\nrealm=example.org\nuser=alice:secret\n";
  });
  auto c = client(Transport::kUdp);
  auto a = c.allocate("alice", "secret", 600);
  ASSERT_TRUE(a.ok) << a.error_code << " " << a.reason;
  EXPECT_EQ(a.relayed.ip_string(), "127.0.0.1");
}

// alternate-server: an authenticated Allocate is answered 300 Try Alternate (RFC 8489 §10), and
// nothing is allocated here; the option's IP:PORT syntax is checked at start.
TEST_F(TurnTest, AlternateServerRedirectsAllocations) {
  start("alternate-server=192.0.2.1:3478\n");
  auto c = client(Transport::kUdp);
  auto a = c.allocate("alice", "secret", 600);
  EXPECT_FALSE(a.ok);
  EXPECT_EQ(a.error_code, 300) << a.reason;
  auto bad =
      run_program({turnserver_path(), "-n", "--check-config", "--alternate-server=192.0.2.1"});
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_NE(bad.output.find("'alternate-server' expects IP:PORT"), std::string::npos) << bad.output;
}

TEST_F(TurnTest, ListeningAndRelayDevicePinSocketsToAnInterface) {
  if (geteuid() != 0) GTEST_SKIP() << "SO_BINDTODEVICE needs root (CAP_NET_RAW)";
  start("allow-loopback-peers\nlistening-device=lo\nrelay-device=lo\n");
  EchoPeer peer;
  auto c = client(Transport::kUdp);
  auto a = c.allocate("alice", "secret", 600);
  ASSERT_TRUE(a.ok) << a.error_code;
  ASSERT_TRUE(c.create_permission(peer.address()).ok);
  relay_round_trips(c, peer, false, 3);
}

TEST(TurnDevice, UnknownDeviceStopsTheStartWithTheReason) {
  if (geteuid() != 0) GTEST_SKIP() << "SO_BINDTODEVICE needs root (CAP_NET_RAW)";
  auto port = free_port();
  for (const char* option : {"--listening-device", "--relay-device"}) {
    auto r =
        run_program({turnserver_path(), "-n", "--listening-ip", "127.0.0.1", "--listening-port",
                     std::to_string(port), "--user", "a:b", "--realm", "r", option, "no-such-if0"});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("cannot bind to device 'no-such-if0'"), std::string::npos) << r.output;
  }
}

}  // namespace
}  // namespace ferry::testing
