// Issue 16 items 4 and 7: the host's own addresses are never peers (every port, every form),
// and a permission or channel to another relay of this server lasts only while that relay
// is open.
#include <gtest/gtest.h>

#include "core_harness.h"
#include "ferry/turn/peer_policy.h"
#include "ferry/turn/relay_registry.h"
#include "ferry/turn/server.h"
#include "turn_client_fake.h"

namespace ferry::turn {
namespace {

using testing::addr;
using testing::TurnClient;

AddressRange range(const char* text) {
  return *AddressRange::parse(text);
}

TEST(HostAddresses, RefusedOnEveryPortEvenInsideAnAllowedRange) {
  PeerPolicySettings s;
  s.allowed = {range("198.18.0.0/15")};  // the operator opens a range the host sits in
  PeerPolicy p(s);
  EXPECT_TRUE(p.permitted(addr("198.18.7.7:53")));
  p.set_host_addresses({addr("198.18.7.7:0"), addr("[2001:4860::7]:0")});
  for (const char* port : {"53", "161", "11211", "3478", "65535"}) {
    EXPECT_FALSE(p.permitted(addr((std::string("198.18.7.7:") + port).c_str()))) << port;
  }
  EXPECT_TRUE(p.permitted(addr("198.18.7.8:53")));  // a neighbour is still a peer
  EXPECT_FALSE(p.permitted(addr("[2001:4860::7]:53")));
  // Every IPv6 form that reaches the host's IPv4 address.
  for (const char* form : {"[::ffff:198.18.7.7]:53", "[64:ff9b::c612:707]:53",
                           "[2002:c612:707::1]:53", "[::198.18.7.7]:53"}) {
    EXPECT_FALSE(p.permitted(addr(form))) << form;
  }
}

TEST(HostAddresses, NamingTheAddressAloneOpensIt) {
  PeerPolicySettings s;
  s.allowed = {range("198.18.7.7")};
  PeerPolicy p(s);
  p.set_host_addresses({addr("198.18.7.7:0")});
  EXPECT_TRUE(p.permitted(addr("198.18.7.7:53")));
}

TEST(HostAddresses, FollowTheInterfacesAsTheyChange) {
  PeerPolicy p(PeerPolicySettings{.allowed = {range("198.18.0.0/15")}});
  p.set_host_addresses({addr("198.18.1.1:0")});
  EXPECT_FALSE(p.permitted(addr("198.18.1.1:9")));
  p.set_host_addresses({addr("198.18.2.2:0")});  // renumbered
  EXPECT_TRUE(p.permitted(addr("198.18.1.1:9")));
  EXPECT_FALSE(p.permitted(addr("198.18.2.2:9")));
}

TEST(HostAddresses, LoopbackIsAlwaysTheHostsAndOnlyAllowLoopbackPeersOpensIt) {
  PeerPolicy ranged(PeerPolicySettings{.allowed = {range("127.0.0.0/8"), range("::1")}});
  EXPECT_FALSE(ranged.permitted(addr("127.0.0.1:22")));
  EXPECT_FALSE(ranged.permitted(addr("127.9.9.9:22")));
  EXPECT_FALSE(ranged.permitted(addr("[::ffff:127.0.0.1]:22")));
  EXPECT_TRUE(ranged.permitted(addr("[::1]:22")));  // named alone
  PeerPolicy tests(PeerPolicySettings{.allow_loopback = true});
  EXPECT_TRUE(tests.permitted(addr("127.0.0.1:22")));
}

TEST(HostAddresses, ExternalIpPublicAddressIsTheHostsAndReachesOpenRelays) {
  RelayRegistry registry({addr("10.0.0.5:0")});
  PeerPolicySettings s;
  s.allowed = {range("198.18.0.0/15")};
  s.public_aliases = {{addr("198.18.9.9:0"), addr("10.0.0.5:0")}};
  PeerPolicy p(s, &registry);
  EXPECT_EQ(p.check(addr("198.18.9.9:50000")), PeerVerdict::kRefused);
  registry.add(addr("10.0.0.5:50000"));
  EXPECT_EQ(p.check(addr("198.18.9.9:50000")), PeerVerdict::kPermittedRelay);
  EXPECT_EQ(p.check(addr("198.18.9.9:50001")), PeerVerdict::kRefused);
  EXPECT_EQ(p.check(addr("10.0.0.5:50000")), PeerVerdict::kPermittedRelay);
}

// A server on loopback: relays are 127.0.0.1:PORT, peers only through the registry.
class RelayLifetimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::enable_turn(h);
    h.open_relays = &registry;
    h.start();
    auto a = alice.allocate();
    auto b = bob.allocate();
    ASSERT_TRUE(a.success() && b.success());
    alice_relay = a.get<stun::attr::XorRelayedAddress>()->address;
    bob_relay = b.get<stun::attr::XorRelayedAddress>()->address;
  }
  std::size_t to_peer_count() const { return h.egress.peer.size(); }
  RelayRegistry registry{{addr("127.0.0.1:0")}};
  testing::CoreHarness h;
  TurnClient alice{h, testing::udp_tuple("127.0.0.1:40000", "127.0.0.1:3478")};
  TurnClient bob{h, testing::udp_tuple("127.0.0.1:40001", "127.0.0.1:3478"), "bob", "hunter2"};
  Address alice_relay;
  Address bob_relay;
  const std::vector<std::uint8_t> payload{'h', 'i'};
};

// On 7b1c093 the channel kept carrying data to bob's old ip:port for its whole lifetime: a
// local service that later bound that port received it (and could answer).
TEST_F(RelayLifetimeTest, ChannelToAClosedRelayCarriesNothing) {
  ASSERT_TRUE(alice.channel_bind(0x4000, bob_relay).success());
  h.egress.clear();
  alice.channel_data(0x4000, payload);
  EXPECT_EQ(to_peer_count(), 1u);
  ASSERT_TRUE(bob.refresh(0).success());  // bob's relay closes; its port is free for anyone
  h.egress.clear();
  alice.channel_data(0x4000, payload);
  EXPECT_EQ(to_peer_count(), 0u) << "ChannelData reached a closed relay's address";
  // Nor does anything from that address reach alice.
  h.server->on_peer_packet(0, bob_relay, payload, h.now);  // relay 0: alice's
  for (const auto& c : h.egress.client) EXPECT_NE(c.tuple, alice.tuple());
}

TEST_F(RelayLifetimeTest, RelayPermissionAdmitsOnlyOpenRelayPorts) {
  ASSERT_TRUE(alice.create_permission({bob_relay}).success());
  // alice's relay is relay id 0 in the fake allocator.
  Address service = bob_relay;
  service.set_port(22);
  h.egress.clear();
  h.server->on_peer_packet(0, service, payload, h.now);
  EXPECT_TRUE(h.egress.client.empty()) << "a local service's datagram reached the client";
  h.server->on_peer_packet(0, bob_relay, payload, h.now);
  EXPECT_EQ(h.egress.client.size(), 1u);
  ASSERT_TRUE(bob.refresh(0).success());
  h.egress.clear();
  h.server->on_peer_packet(0, bob_relay, payload, h.now);
  EXPECT_TRUE(h.egress.client.empty());
  // Send indications are judged per packet already.
  EXPECT_EQ(alice.send_indication(bob_relay, payload), 0u);
  EXPECT_EQ(to_peer_count(), 0u);
}

}  // namespace
}  // namespace ferry::turn
