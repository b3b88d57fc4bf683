// Dual stack over real sockets on 127.0.0.1 and ::1: a server listening on both (no relay-ip),
// relays of the other family than the control connection (REQUESTED-ADDRESS-FAMILY), dual
// allocations (ADDITIONAL-ADDRESS-FAMILY, RFC 8656 §7.2) relaying to an IPv4 and an IPv6 peer
// both ways, one family deleted alone (§8.1), DONT-FRAGMENT, allocation-default-address-family,
// and the peer policy on the IPv6 relay.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "client/turn_client.h"
#include "echo_peer.h"
#include "loopback_server_test.h"
#include "server_process.h"

namespace ferry::testing {
namespace {

using client::AllocateOptions;
using client::ClientSocket;
using client::TurnClient;

class DualStackTest : public LoopbackServerTest {
 protected:
  // Listening on both loopback addresses, relays on them (no relay-ip: RFC 8656 §7.2 lets a
  // client of either family ask for a relay of the other).
  void start(const std::string& extra = "allow-loopback-peers\n") {
    launch([&](std::uint16_t port) {
      return "listening-ip=127.0.0.1\nlistening-ip=::1\nlistening-port=" + std::to_string(port) +
             "\nmin-port=44000\nmax-port=44999\nrealm=example.org\nuser=alice:secret\n" + extra;
    });
  }
  TurnClient client6(Transport t) {
    std::string err;
    auto s = ClientSocket::open(t, *Address::parse_ip("::1", port_), &err);
    EXPECT_TRUE(s) << err;
    return TurnClient(std::move(*s));
  }
  // `count` packets to `peer` and back (ChannelData on `channel`, or Send indications when 0).
  static void round_trips(TurnClient& c, const EchoPeer& peer, std::uint16_t channel, int count) {
    for (int i = 0; i < count; ++i) {
      std::vector<std::uint8_t> payload(60 + static_cast<std::size_t>(i),
                                        static_cast<std::uint8_t>(i + channel));
      ASSERT_TRUE(channel != 0 ? c.send_channel_data(channel, payload)
                               : c.send_indication(peer.address(), payload));
      auto got = c.receive_data(Millis(2000));
      ASSERT_TRUE(got) << "packet " << i << " to " << peer.address().to_string() << " lost";
      EXPECT_EQ(got->data, payload);
      EXPECT_EQ(got->peer, peer.address());
      // A peer with a channel answers over it, whichever way the client sent (§12.5).
      if (channel != 0) {
        EXPECT_TRUE(got->via_channel);
      }
    }
  }
};

TEST_F(DualStackTest, Ipv4ClientGetsAnIpv6Relay) {
  start();
  EchoPeer peer("::1");
  for (Transport t : {Transport::kUdp, Transport::kTcp}) {
    auto c = client(t);
    auto a = c.allocate("alice", "secret", 600, AllocateOptions{.requested_family = Family::kV6});
    ASSERT_TRUE(a.ok) << a.error_code << " " << a.reason;
    EXPECT_EQ(a.relayed.ip_string(), "::1");
    EXPECT_EQ(a.mapped.ip_string(), "127.0.0.1");
    ASSERT_TRUE(c.channel_bind(0x4000, peer.address()).ok);
    round_trips(c, peer, 0x4000, 10);
    round_trips(c, peer, 0, 10);
    EXPECT_EQ(peer.last_source(), a.relayed);
    // An IPv4 peer is of a family this allocation lacks.
    EXPECT_EQ(c.create_permission(*Address::parse_ip("127.0.0.1", 9)).error_code, 443);
    EXPECT_TRUE(c.refresh(0).ok);
  }
}

TEST_F(DualStackTest, Ipv6ClientGetsAnIpv4Relay) {
  start();
  EchoPeer peer("127.0.0.1");
  auto c = client6(Transport::kUdp);
  auto a = c.allocate("alice", "secret", 600, AllocateOptions{.requested_family = Family::kV4});
  ASSERT_TRUE(a.ok) << a.error_code << " " << a.reason;
  EXPECT_EQ(a.relayed.ip_string(), "127.0.0.1");
  EXPECT_EQ(a.mapped.ip_string(), "::1");
  ASSERT_TRUE(c.create_permission(peer.address()).ok);
  round_trips(c, peer, 0, 10);
  // Without REQUESTED-ADDRESS-FAMILY the relay is IPv4 (RFC 8656 §7.2), for IPv6 clients too.
  auto d = client6(Transport::kTcp);
  auto b = d.allocate("alice", "secret", 600);
  ASSERT_TRUE(b.ok) << b.error_code << " " << b.reason;
  EXPECT_EQ(b.relayed.ip_string(), "127.0.0.1");
}

TEST_F(DualStackTest, DualAllocationRelaysToBothFamiliesBothWays) {
  start();
  EchoPeer peer4("127.0.0.1");
  EchoPeer peer6("::1");
  for (Transport t : {Transport::kUdp, Transport::kTcp}) {
    auto c = client(t);
    auto a = c.allocate("alice", "secret", 600, AllocateOptions{.dual = true});
    ASSERT_TRUE(a.ok) << a.error_code << " " << a.reason;
    ASSERT_EQ(a.relayed_all.size(), 2u);
    EXPECT_EQ(a.relayed_all[0].ip_string(), "127.0.0.1");
    EXPECT_EQ(a.relayed_all[1].ip_string(), "::1");
    EXPECT_EQ(a.address_error_code, 0);
    ASSERT_TRUE(c.channel_bind(0x4000, peer4.address()).ok);
    ASSERT_TRUE(c.channel_bind(0x4001, peer6.address()).ok);
    round_trips(c, peer4, 0x4000, 10);
    EXPECT_EQ(peer4.last_source(), a.relayed_all[0]);
    round_trips(c, peer6, 0x4001, 10);
    EXPECT_EQ(peer6.last_source(), a.relayed_all[1]);
    round_trips(c, peer4, 0, 5);
    round_trips(c, peer6, 0, 5);
    EXPECT_TRUE(c.refresh(0).ok);
  }
}

// RFC 8656 §8.1: a Refresh naming one family of a dual allocation deletes that family alone.
TEST_F(DualStackTest, DeletingOneFamilyKeepsTheOtherRelaying) {
  start();
  EchoPeer peer4("127.0.0.1");
  EchoPeer peer6("::1");
  auto c = client(Transport::kUdp);
  auto a = c.allocate("alice", "secret", 600, AllocateOptions{.dual = true});
  ASSERT_TRUE(a.ok) << a.error_code << " " << a.reason;
  ASSERT_TRUE(c.create_permission(std::vector<Address>{peer4.address(), peer6.address()}).ok);
  auto r = c.refresh(0, Family::kV4);
  ASSERT_TRUE(r.ok) << r.error_code << " " << r.reason;
  EXPECT_EQ(r.lifetime, 0u);
  round_trips(c, peer6, 0, 5);
  const int echoed = peer4.echoed();
  std::vector<std::uint8_t> lost{1, 2, 3};
  ASSERT_TRUE(c.send_indication(peer4.address(), lost));
  EXPECT_FALSE(c.receive_data(Millis(300)));
  EXPECT_EQ(peer4.echoed(), echoed);
  EXPECT_EQ(c.refresh(600, Family::kV4).error_code, 443);
  EXPECT_TRUE(c.refresh(600).ok);
  EXPECT_TRUE(c.refresh(0).ok);
}

// RFC 8656 §7.2: the server sets DF instead of answering 420; data still flows, with and
// without a Send indication's own DONT-FRAGMENT (the socket options themselves are checked
// in tests/unit/net/relay_pool_test.cc).
TEST_F(DualStackTest, DontFragmentIsAccepted) {
  start();
  EchoPeer peer4("127.0.0.1");
  EchoPeer peer6("::1");
  auto c = client(Transport::kUdp);
  auto a = c.allocate("alice", "secret", 600, AllocateOptions{.dual = true, .dont_fragment = true});
  ASSERT_TRUE(a.ok) << a.error_code << " " << a.reason;
  ASSERT_EQ(a.relayed_all.size(), 2u);
  ASSERT_TRUE(c.create_permission(std::vector<Address>{peer4.address(), peer6.address()}).ok);
  round_trips(c, peer4, 0, 5);
  round_trips(c, peer6, 0, 5);
  auto d = client(Transport::kTcp);
  ASSERT_TRUE(d.allocate("alice", "secret", 600).ok);
  ASSERT_TRUE(d.create_permission(peer4.address()).ok);
  std::vector<std::uint8_t> payload{'d', 'f'};
  ASSERT_TRUE(d.send_indication(peer4.address(), payload, true));
  auto got = d.receive_data(Millis(2000));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->data, payload);
}

TEST_F(DualStackTest, AllocationDefaultAddressFamilyIpv6) {
  start("allow-loopback-peers\nallocation-default-address-family=ipv6\n");
  auto c = client(Transport::kUdp);
  auto a = c.allocate("alice", "secret", 600);
  ASSERT_TRUE(a.ok) << a.error_code << " " << a.reason;
  EXPECT_EQ(a.relayed.ip_string(), "::1");
}

// The IPv6 relay is no way around the peer policy: loopback in either family, and the IPv6
// forms of a refused IPv4 address, are refused (403) without allow-loopback-peers.
TEST_F(DualStackTest, PeerPolicyAppliesToBothFamilies) {
  start("");
  auto c = client(Transport::kUdp);
  auto a = c.allocate("alice", "secret", 600, AllocateOptions{.dual = true});
  ASSERT_TRUE(a.ok) << a.error_code << " " << a.reason;
  ASSERT_EQ(a.relayed_all.size(), 2u);
  for (const char* p : {"127.0.0.1:9", "[::1]:9", "[::ffff:127.0.0.1]:9", "[64:ff9b::7f00:1]:9",
                        "[::127.0.0.1]:9", "[2002:7f00:1::1]:9"}) {
    EXPECT_EQ(c.create_permission(*Address::parse_endpoint(p)).error_code, 403) << p;
    EXPECT_EQ(c.channel_bind(0x4000, *Address::parse_endpoint(p)).error_code, 403) << p;
  }
}

}  // namespace
}  // namespace ferry::testing
