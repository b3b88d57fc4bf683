// Relay-to-relay: two clients relayed through one server reach each other's relay addresses,
// even on loopback or private relay IPs that the peer policy otherwise refuses; nothing else
// on those addresses becomes reachable.
#include "ferry/turn/relay_registry.h"

#include <gtest/gtest.h>

#include "core_harness.h"
#include "ferry/turn/dispatcher.h"
#include "turn_client_fake.h"

namespace ferry::turn {
namespace {

using testing::addr;
using testing::TurnClient;

TEST(RelayRegistry, HoldsExactlyTheOpenRelays) {
  RelayRegistry r({addr("127.0.0.1:0"), addr("[::1]:0")});
  EXPECT_FALSE(r.contains(addr("127.0.0.1:50000")));
  r.add(addr("127.0.0.1:50000"));
  r.add(addr("[::1]:65535"));
  r.add(addr("192.0.2.1:50000"));  // not a relay IP: ignored
  EXPECT_TRUE(r.contains(addr("127.0.0.1:50000")));
  EXPECT_FALSE(r.contains(addr("127.0.0.1:50001")));
  EXPECT_FALSE(r.contains(addr("127.0.0.2:50000")));
  EXPECT_TRUE(r.contains(addr("[::1]:65535")));
  EXPECT_FALSE(r.contains(addr("192.0.2.1:50000")));
  r.remove(addr("127.0.0.1:50000"));
  EXPECT_FALSE(r.contains(addr("127.0.0.1:50000")));
  EXPECT_TRUE(r.contains(addr("[::1]:65535")));
}

// A server on loopback (the default turnserver.conf): relays are 127.0.0.1:PORT.
class RelayToRelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::enable_turn(h);
    h.open_relays = &registry;
  }
  // Starts the server, allocates for both and returns what alice gets asking for bob's relay.
  std::uint16_t alice_permission_for_bobs_relay() {
    h.start();
    EXPECT_TRUE(alice.allocate().success());
    auto b = bob.allocate();
    EXPECT_TRUE(b.success());
    return alice.create_permission({b.get<stun::attr::XorRelayedAddress>()->address}).error();
  }
  // Before the harness: the server's destructor gives its relays back to the registry.
  RelayRegistry registry{{addr("127.0.0.1:0")}};
  testing::CoreHarness h;
  TurnClient alice{h, testing::udp_tuple("127.0.0.1:40000", "127.0.0.1:3478")};
  TurnClient bob{h, testing::udp_tuple("127.0.0.1:40001", "127.0.0.1:3478"), "bob", "hunter2"};
};

TEST_F(RelayToRelayTest, AnOpenRelayIsAPeerOtherLoopbackAddressesAreNot) {
  h.start();
  auto a = alice.allocate();
  auto b = bob.allocate();
  ASSERT_TRUE(a.success() && b.success());
  const Address bob_relay = b.get<stun::attr::XorRelayedAddress>()->address;
  const Address alice_relay = a.get<stun::attr::XorRelayedAddress>()->address;
  EXPECT_TRUE(alice.create_permission({bob_relay}).success());
  EXPECT_TRUE(bob.channel_bind(0x4000, alice_relay).success());

  Address closed = bob_relay;  // a port of the relay range nobody holds (a local service?)
  closed.set_port(static_cast<std::uint16_t>(bob_relay.port() + 100));
  EXPECT_EQ(alice.create_permission({closed}).error(), 403);
  EXPECT_EQ(alice.create_permission({addr("127.0.0.1:22")}).error(), 403);

  ASSERT_TRUE(bob.refresh(0).success());  // bob's relay closes: no longer a peer
  EXPECT_EQ(alice.create_permission({bob_relay}).error(), 403);
}

TEST_F(RelayToRelayTest, DeniedPeerIpStillWins) {
  h.settings.peers.denied.push_back(*AddressRange::parse("127.0.0.0/8"));
  EXPECT_EQ(alice_permission_for_bobs_relay(), 403);
}

TEST_F(RelayToRelayTest, WithoutTheRegistryLoopbackRelaysAreRefused) {
  h.open_relays = nullptr;
  EXPECT_EQ(alice_permission_for_bobs_relay(), 403);
}

}  // namespace
}  // namespace ferry::turn
