// Issue 16 items 4 and 7: the host's own addresses are never peers (every port, every form),
// and a permission or channel to another relay of this server lasts only while that relay
// is open.
#include <gtest/gtest.h>

#include "core_harness.h"
#include "ferry/turn/dispatcher.h"
#include "ferry/turn/peer_policy.h"
#include "ferry/turn/relay_registry.h"
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

// Every address a peer reaches must pass: an allowed-peer-ip range that names one IPv4 of a
// Teredo address does not carry the other (review finding 9: server 10.0.0.1 allowed, client
// 169.254.169.254, the metadata service, slipped through).
TEST(HostAddresses, EachEmbeddedAddressMustPassOnItsOwn) {
  PeerPolicy p(PeerPolicySettings{.allowed = {range("10.0.0.0/8")}});
  // Teredo: server 10.0.0.1, client 169.254.169.254 (stored inverted: 5601:5601).
  EXPECT_FALSE(p.permitted(addr("[2001:0:a00:1::5601:5601]:80")));
  // Both parts allowed or global: permitted.
  EXPECT_TRUE(p.permitted(addr("[2001:0:a00:1::f7f7:f7f7]:80")));  // client 8.8.8.8
  EXPECT_TRUE(p.permitted(addr("[::ffff:10.1.2.3]:80")));
}

// The data path relies on the check made when a permission or channel was installed; an
// address that becomes the host's later (a new interface address) is revoked at once.
TEST(HostAddresses, PermissionsToANewHostAddressAreRevoked) {
  testing::CoreHarness h;
  testing::enable_turn(h);
  h.settings.peers.allowed = {range("198.18.0.0/15")};
  h.start();
  TurnClient alice{h, testing::udp_tuple("198.51.100.7:40000")};
  ASSERT_TRUE(alice.allocate().success());
  const Address service = addr("198.18.7.7:53");
  ASSERT_TRUE(alice.create_permission({service}).success());
  ASSERT_TRUE(alice.channel_bind(0x4000, addr("198.18.7.7:54")).success());
  const std::vector<std::uint8_t> payload{'q'};
  h.egress.clear();
  alice.send_indication(service, payload);
  alice.channel_data(0x4000, payload);
  EXPECT_EQ(h.egress.peer.size(), 2u);
  h.server->set_host_addresses({addr("198.18.7.7:0")}, h.now);  // the host now has it
  h.egress.clear();
  alice.send_indication(service, payload);
  alice.channel_data(0x4000, payload);
  h.server->on_peer_packet(0, service, payload, h.now);
  EXPECT_TRUE(h.egress.peer.empty()) << "relayed to an address of the host";
  EXPECT_TRUE(h.egress.client.empty());
  EXPECT_EQ(alice.create_permission({service}).error(), 403);
}

// The listening endpoint is refused per packet too: with loopback peers allowed (tests), a
// permission for 127.0.0.1 must not carry Send indications to the server's own port.
TEST(HostAddresses, SendIndicationsNeverReachTheListeningEndpoint) {
  testing::CoreHarness h;
  testing::enable_turn(h);
  h.settings.peers.allow_loopback = true;
  h.settings.peers.own_addresses = {addr("127.0.0.1:3478")};
  h.start();
  TurnClient alice{h, testing::udp_tuple("127.0.0.1:40000", "127.0.0.1:3478")};
  ASSERT_TRUE(alice.allocate().success());
  ASSERT_TRUE(alice.create_permission({addr("127.0.0.1:9")}).success());
  const std::vector<std::uint8_t> payload{'q'};
  h.egress.clear();
  alice.send_indication(addr("127.0.0.1:9"), payload);
  alice.send_indication(addr("127.0.0.1:3478"), payload);
  ASSERT_EQ(h.egress.peer.size(), 1u);
  EXPECT_EQ(h.egress.peer[0].peer, addr("127.0.0.1:9"));
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
