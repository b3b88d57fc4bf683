// Dual-stack allocations (RFC 8656 §7.2 ADDITIONAL-ADDRESS-FAMILY: one IPv4 and one IPv6 relay
// in one allocation; §8.1 per-family Refresh), relays of the other family than the client's
// (REQUESTED-ADDRESS-FAMILY, allocation-default-address-family), and DONT-FRAGMENT (§7.2,
// §11.2), through the core with fakes.
#include <gtest/gtest.h>

#include <vector>

#include "core_harness.h"
#include "ferry/auth/long_term_key.h"
#include "ferry/stun/attributes.h"
#include "ferry/turn/dispatcher.h"
#include "ferry/turn/relay_registry.h"
#include "turn_client_fake.h"

namespace ferry::turn {
namespace {

namespace attr = stun::attr;
using testing::addr;
using testing::Attrs;
using testing::Reply;
using testing::TurnClient;

const auth::Md5Key kAliceKey = auth::md5_key("alice", "example.org", "secret");
const std::vector<std::uint8_t> kPayload = {'d', 'u', 'a', 'l'};

// Every XOR-RELAYED-ADDRESS of an answer, in order.
std::vector<Address> relayed(const Reply& r) {
  std::vector<Address> out;
  if (!r.ok()) return out;
  const stun::MessageView& m = r.msg();
  for (std::size_t i = 0; i < m.attribute_count(); ++i) {
    const stun::RawAttribute raw = m.attribute(i);
    if (raw.type != attr::XorRelayedAddress::kType) continue;
    if (auto a = attr::XorRelayedAddress::parse(raw.value, m.transaction_id())) {
      out.push_back(a->address);
    }
  }
  return out;
}

Attrs with(const Attrs& extra) {
  return [extra](stun::MessageBuilder& b) {
    TurnClient::udp()(b);
    extra(b);
  };
}
const Attrs kDual =
    with([](stun::MessageBuilder& b) { b.add(attr::AdditionalAddressFamily{Family::kV6}); });
Attrs requested(Family f) {
  return with([f](stun::MessageBuilder& b) { b.add(attr::RequestedAddressFamily{f}); });
}

class DualStackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::enable_turn(h);
    h.settings.relay_ips = {relay4, relay6};
    h.open_relays = &registry;
  }
  // The dual allocation of `c`: its IPv4 and IPv6 relayed addresses.
  std::vector<Address> allocate_dual(TurnClient& c) {
    Reply r = c.allocate(kDual);
    EXPECT_TRUE(r.success()) << r.error();
    EXPECT_FALSE(r.get<attr::AddressErrorCode>());
    h.egress.clear();
    return relayed(r);
  }
  Reply refresh(TurnClient& c, std::uint32_t lifetime, Family f) {
    return c.request(stun::Method::kRefresh, [lifetime, f](stun::MessageBuilder& b) {
      b.add(attr::Lifetime{lifetime});
      b.add(attr::RequestedAddressFamily{f});
    });
  }
  // A datagram from `peer` to the relay at `relay_address`; how many packets reached clients.
  std::size_t from_peer(const Address& relay_address, const Address& peer) {
    const std::size_t before = h.egress.client.size();
    for (RelayId id = 0; id < h.relays.addresses.size(); ++id) {
      if (h.relays.is_open(id) && h.relays.addresses[id] == relay_address) {
        h.server->on_peer_packet(id, peer, testing::bytes_of(kPayload), h.now);
      }
    }
    return h.egress.client.size() - before;
  }
  // The relay a datagram to a peer left from (its address), or an empty address.
  Address sent_from() const {
    if (h.egress.peer.empty()) return {};
    return h.relays.addresses[h.egress.peer.back().relay];
  }
  void expect_all_released() {
    EXPECT_EQ(h.server->allocation_count(), 0u);
    EXPECT_EQ(h.relays.open_count, 0u);
    EXPECT_EQ(h.quotas.total(), 0u);
    for (RelayId id = 0; id < h.relays.addresses.size(); ++id) {
      EXPECT_FALSE(registry.contains(h.relays.addresses[id])) << id;
    }
  }

  const Address relay4 = addr("192.0.2.10");
  const Address relay6 = addr("2001:db8::10");
  const Address peer4 = addr("203.0.113.5:7000");
  const Address peer6 = addr("[2001:db8::5]:7000");
  RelayRegistry registry{{addr("192.0.2.10"), addr("2001:db8::10")}};
  testing::CoreHarness h;
  TurnClient alice{h, testing::udp_tuple("198.51.100.7:40000")};
};

// --- Allocate ---

TEST_F(DualStackTest, AdditionalFamilyGivesOneIpv4AndOneIpv6RelayInOneAllocation) {
  h.start();
  Reply r = alice.allocate(kDual);
  ASSERT_TRUE(r.success()) << r.error();
  EXPECT_TRUE(r.integrity_ok(kAliceKey));
  const auto addresses = relayed(r);
  ASSERT_EQ(addresses.size(), 2u);
  EXPECT_EQ(addresses[0], addr("192.0.2.10:50001"));
  EXPECT_EQ(addresses[1], addr("[2001:db8::10]:50003"));
  EXPECT_EQ(r.get<attr::Lifetime>()->seconds, 600u);
  EXPECT_EQ(r.get<attr::XorMappedAddress>()->address, alice.tuple().client);
  EXPECT_FALSE(r.get<attr::AddressErrorCode>());
  EXPECT_EQ(h.server->allocation_count(), 1u);
  EXPECT_EQ(h.relays.open_count, 2u);
  EXPECT_EQ(h.quotas.total(), 2u);  // the allocation, and its second relay (Quotas)
  EXPECT_TRUE(registry.contains(addresses[0]));
  EXPECT_TRUE(registry.contains(addresses[1]));
  // Counted once, under its first (IPv4) relay.
  EXPECT_EQ(h.server->counters().allocations_created_total(), 1u);
  EXPECT_EQ(h.server->counters().allocations_created[allocation_slot(Transport::kUdp, false)].get(),
            1u);
  // A retransmission gets the same bytes, not two more relays.
  TurnClient::Options o;
  o.tid = alice.last_tid();
  EXPECT_EQ(alice.request(stun::Method::kAllocate, kDual, o).bytes(), r.bytes());
  EXPECT_EQ(h.relays.open_count, 2u);
}

TEST_F(DualStackTest, AFamilyWithoutARelayAddressIs440InAddressErrorCode) {
  h.settings.relay_ips = {relay4};
  h.start();
  Reply r = alice.allocate(kDual);
  ASSERT_TRUE(r.success()) << r.error();
  EXPECT_EQ(relayed(r), std::vector<Address>{addr("192.0.2.10:50001")});
  auto aec = r.get<attr::AddressErrorCode>();
  ASSERT_TRUE(aec);
  EXPECT_EQ(aec->family, Family::kV6);
  EXPECT_EQ(aec->code, 440);
  EXPECT_EQ(aec->reason, "Address Family not Supported");
  EXPECT_EQ(h.relays.open_count, 1u);
  EXPECT_EQ(h.quotas.total(), 1u);

  // The other way round: only IPv6 relays; the allocation is IPv6 alone.
  TurnClient bob{h, testing::udp_tuple("198.51.100.8:40000"), "bob", "hunter2"};
  h.settings.relay_ips = {relay6};
  h.start();
  r = bob.allocate(kDual);
  ASSERT_TRUE(r.success()) << r.error();
  EXPECT_EQ(relayed(r), std::vector<Address>{addr("[2001:db8::10]:50003")});
  aec = r.get<attr::AddressErrorCode>();
  ASSERT_TRUE(aec);
  EXPECT_EQ(aec->family, Family::kV4);
  EXPECT_EQ(aec->code, 440);
}

TEST_F(DualStackTest, AFamilyWithoutAPortIs508InAddressErrorCode) {
  h.relays.full = {relay6};
  h.start();
  Reply r = alice.allocate(kDual);
  ASSERT_TRUE(r.success()) << r.error();
  EXPECT_EQ(relayed(r).size(), 1u);
  EXPECT_TRUE(relayed(r)[0].is_v4());
  auto aec = r.get<attr::AddressErrorCode>();
  ASSERT_TRUE(aec);
  EXPECT_EQ(aec->family, Family::kV6);
  EXPECT_EQ(aec->code, 508);
  EXPECT_EQ(aec->reason, "Insufficient Capacity");
  EXPECT_EQ(h.quotas.total(), 1u);  // no second relay, no second unit

  h.relays.full = {relay4};
  TurnClient bob{h, testing::udp_tuple("198.51.100.8:40000"), "bob", "hunter2"};
  r = bob.allocate(kDual);
  ASSERT_TRUE(r.success()) << r.error();
  ASSERT_EQ(relayed(r).size(), 1u);
  EXPECT_TRUE(relayed(r)[0].is_v6());
  EXPECT_EQ(r.get<attr::AddressErrorCode>()->family, Family::kV4);
  EXPECT_EQ(r.get<attr::AddressErrorCode>()->code, 508);
  EXPECT_EQ(h.quotas.total(), 2u);  // two single-family allocations
}

TEST_F(DualStackTest, NeitherFamilyIs508AndHoldsNothing) {
  h.relays.full = {relay4, relay6};
  h.start();
  Reply r = alice.allocate(kDual);
  EXPECT_EQ(r.error(), 508);
  EXPECT_TRUE(r.integrity_ok(kAliceKey));
  EXPECT_FALSE(r.get<attr::AddressErrorCode>());
  expect_all_released();
}

// RFC 8656 §7.2 steps 5, 6, 8 and 9.
TEST_F(DualStackTest, BadCombinationsAre400) {
  h.start();
  const Attrs bad[] = {
      // REQUESTED-ADDRESS-FAMILY with ADDITIONAL-ADDRESS-FAMILY (step 6).
      with([](stun::MessageBuilder& b) {
        b.add(attr::RequestedAddressFamily{Family::kV4});
        b.add(attr::AdditionalAddressFamily{Family::kV6});
      }),
      // IPv4 is not an additional family (step 9), nor is a value of no family.
      with([](stun::MessageBuilder& b) { b.add(attr::AdditionalAddressFamily{Family::kV4}); }),
      with([](stun::MessageBuilder& b) {
        const std::uint8_t v[] = {0x03, 0, 0, 0};
        b.add_raw(attr::AdditionalAddressFamily::kType, Bytes(v, sizeof v));
      }),
      // Not with EVEN-PORT's R bit (step 8), nor with a RESERVATION-TOKEN (step 5).
      with([](stun::MessageBuilder& b) {
        b.add(attr::AdditionalAddressFamily{Family::kV6});
        b.add(attr::EvenPort{true});
      }),
      with([](stun::MessageBuilder& b) {
        b.add(attr::AdditionalAddressFamily{Family::kV6});
        b.add(attr::ReservationToken{{1, 2, 3, 4, 5, 6, 7, 8}});
      }),
  };
  for (const auto& attrs : bad) {
    Reply r = alice.allocate(attrs);
    EXPECT_EQ(r.error(), 400);
    EXPECT_TRUE(r.integrity_ok(kAliceKey));
  }
  expect_all_released();
  // EVEN-PORT without R applies to both relays.
  Reply r = alice.allocate(with([](stun::MessageBuilder& b) {
    b.add(attr::AdditionalAddressFamily{Family::kV6});
    b.add(attr::EvenPort{false});
  }));
  ASSERT_TRUE(r.success()) << r.error();
  ASSERT_EQ(relayed(r).size(), 2u);
  EXPECT_EQ(relayed(r)[0].port() % 2, 0);
  EXPECT_EQ(relayed(r)[1].port() % 2, 0);
}

// --- Permissions, channels and data by family ---

TEST_F(DualStackTest, EachPeerIsRelayedThroughTheRelayOfItsFamilyBothWays) {
  h.start();
  const auto relays = allocate_dual(alice);
  ASSERT_EQ(relays.size(), 2u);
  // One CreatePermission may name peers of both families.
  ASSERT_TRUE(alice.create_permission({peer4, peer6}).success());
  h.egress.clear();
  alice.send_indication(peer4, testing::bytes_of(kPayload));
  EXPECT_EQ(sent_from(), relays[0]);
  alice.send_indication(peer6, testing::bytes_of(kPayload));
  EXPECT_EQ(sent_from(), relays[1]);
  EXPECT_EQ(h.egress.peer.back().peer, peer6);
  // Peer data on either relay reaches the client, as a Data indication naming the peer.
  EXPECT_EQ(from_peer(relays[0], peer4), 1u);
  EXPECT_EQ(from_peer(relays[1], peer6), 1u);
  Reply data(h.egress.client.back().data);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(data.get<attr::XorPeerAddress>()->address, peer6);
  // Channels: each to a peer of either family.
  ASSERT_TRUE(alice.channel_bind(0x4000, peer4).success());
  ASSERT_TRUE(alice.channel_bind(0x4001, peer6).success());
  h.egress.clear();
  alice.channel_data(0x4001, testing::bytes_of(kPayload));
  EXPECT_EQ(sent_from(), relays[1]);
  alice.channel_data(0x4000, testing::bytes_of(kPayload));
  EXPECT_EQ(sent_from(), relays[0]);
  EXPECT_EQ(from_peer(relays[1], peer6), 1u);
  EXPECT_TRUE(stun::is_channel_data(testing::bytes_of(h.egress.client.back().data)));
  EXPECT_EQ(load_be16(h.egress.client.back().data.data()), 0x4001);
  // A peer without a permission is dropped on either relay.
  EXPECT_EQ(from_peer(relays[1], addr("[2001:db8::99]:7000")), 0u);
}

TEST_F(DualStackTest, APeerOfAFamilyTheAllocationLacksIs443) {
  h.start();
  ASSERT_TRUE(alice.allocate().success());  // IPv4 only
  EXPECT_EQ(alice.create_permission({peer6}).error(), 443);
  EXPECT_EQ(alice.create_permission({peer4, peer6}).error(), 443);  // all or nothing
  EXPECT_EQ(alice.channel_bind(0x4000, peer6).error(), 443);
  EXPECT_TRUE(alice.create_permission({peer4}).success());
  TurnClient bob{h, testing::udp_tuple("198.51.100.8:40000"), "bob", "hunter2"};
  ASSERT_TRUE(bob.allocate(requested(Family::kV6)).success());  // IPv6 only
  EXPECT_EQ(bob.create_permission({peer4}).error(), 443);
  EXPECT_EQ(bob.channel_bind(0x4000, peer4).error(), 443);
  EXPECT_TRUE(bob.channel_bind(0x4000, peer6).success());
}

// The peer policy applies to both families, and to every IPv6 form of a refused IPv4 address
// (CONFORMANCE.md: normalise first): a dual allocation's IPv6 relay is no way around it.
TEST_F(DualStackTest, PeersOfEitherFamilyGoThroughThePeerPolicy) {
  h.start();
  h.server->set_host_addresses({relay4, relay6, addr("198.51.100.1")}, h.now);
  const auto relays = allocate_dual(alice);
  ASSERT_EQ(relays.size(), 2u);
  const std::string relay4_port = std::to_string(relays[0].port());
  const std::string refused[] = {
      "127.0.0.1:22", "[::1]:22", "[::ffff:127.0.0.1]:22", "[::127.0.0.1]:22",
      "[64:ff9b::7f00:1]:22", "[2002:7f00:1::1]:22", "[::ffff:169.254.169.254]:80",
      "[64:ff9b::a9fe:a9fe]:80", "[::ffff:10.0.0.1]:80", "[fe80::1]:80", "[fc00::1]:80",
      "[ff02::1]:80", "[::]:80", "[2001:0:7f00:1::1]:80",
      // The host's own addresses, in every form, on every port...
      "198.51.100.1:80", "[::ffff:198.51.100.1]:80", "[2001:db8::10]:22",
      // ...an open relay's address only as the relay has it, not as a mapped IPv6 form.
      "[::ffff:192.0.2.10]:" + relay4_port};
  for (const auto& text : refused) {
    const Address p = addr(text.c_str());
    EXPECT_EQ(alice.create_permission({p}).error(), 403) << text;
    EXPECT_EQ(alice.channel_bind(0x4000, p).error(), 403) << text;
  }
  // Both relays of the allocation are open relays of this server: relay-to-relay is allowed.
  EXPECT_TRUE(alice.create_permission({relays[0], relays[1]}).success());
}

// --- Refresh (RFC 8656 §8.1-8.2) ---

TEST_F(DualStackTest, RefreshWithTheOtherFamilyIs443) {
  h.start();
  ASSERT_TRUE(alice.allocate().success());
  EXPECT_EQ(refresh(alice, 600, Family::kV6).error(), 443);
  EXPECT_TRUE(refresh(alice, 600, Family::kV4).success());
  EXPECT_EQ(refresh(alice, 0, Family::kV6).error(), 443);
  EXPECT_EQ(h.server->allocation_count(), 1u);
  // LIFETIME 0 naming the only family deletes the allocation.
  EXPECT_EQ(refresh(alice, 0, Family::kV4).get<attr::Lifetime>()->seconds, 0u);
  expect_all_released();
}

TEST_F(DualStackTest, RefreshWithoutAFamilyRefreshesBoth) {
  h.start();
  allocate_dual(alice);
  h.advance(Seconds(500));
  ASSERT_TRUE(alice.refresh(600).success());
  h.advance(Seconds(500));  // past the first lifetime
  h.server->expire(h.now);
  EXPECT_EQ(h.relays.open_count, 2u);
  ASSERT_TRUE(alice.create_permission({peer4, peer6}).success());
  h.advance(Seconds(101));  // past the refreshed one
  h.server->expire(h.now);
  expect_all_released();
}

TEST_F(DualStackTest, EachFamilyHasItsOwnLifetime) {
  h.start();
  const auto relays = allocate_dual(alice);
  ASSERT_TRUE(refresh(alice, 1200, Family::kV6).success());  // IPv6 only
  h.advance(Seconds(590));
  ASSERT_TRUE(alice.create_permission({peer4, peer6}).success());
  h.advance(Seconds(11));  // the IPv4 family's 600 s are over
  h.server->expire(h.now);
  EXPECT_EQ(h.relays.open_count, 1u);
  EXPECT_FALSE(registry.contains(relays[0]));
  EXPECT_TRUE(registry.contains(relays[1]));
  EXPECT_EQ(h.quotas.total(), 1u);
  h.egress.clear();
  alice.send_indication(peer4, testing::bytes_of(kPayload));
  EXPECT_TRUE(h.egress.peer.empty());  // its permission went with its relay
  alice.send_indication(peer6, testing::bytes_of(kPayload));
  EXPECT_EQ(sent_from(), relays[1]);
  EXPECT_EQ(from_peer(relays[1], peer6), 1u);
  EXPECT_EQ(from_peer(relays[1], peer4), 0u);
  EXPECT_EQ(alice.create_permission({peer4}).error(), 443);
  EXPECT_EQ(refresh(alice, 600, Family::kV4).error(), 443);
  h.advance(Seconds(600));  // IPv6's 1,200 s are over too
  h.server->expire(h.now);
  expect_all_released();
  const Counters& c = h.server->counters();
  EXPECT_EQ(c.allocations_created_total(), c.allocations_ended_total());
  EXPECT_EQ(c.permissions_created.get(), c.permissions_ended.get());
}

TEST_F(DualStackTest, DeletingOneFamilyKeepsTheOther) {
  h.start();
  const auto relays = allocate_dual(alice);
  ASSERT_TRUE(alice.channel_bind(0x4000, peer4).success());
  ASSERT_TRUE(alice.channel_bind(0x4001, peer6).success());
  Reply r = refresh(alice, 0, Family::kV4);
  ASSERT_TRUE(r.success()) << r.error();
  EXPECT_EQ(r.get<attr::Lifetime>()->seconds, 0u);
  EXPECT_EQ(h.server->allocation_count(), 1u);
  EXPECT_EQ(h.relays.open_count, 1u);
  EXPECT_FALSE(registry.contains(relays[0]));
  EXPECT_EQ(h.quotas.total(), 1u);
  h.egress.clear();
  alice.channel_data(0x4000, testing::bytes_of(kPayload));
  EXPECT_TRUE(h.egress.peer.empty());
  alice.channel_data(0x4001, testing::bytes_of(kPayload));
  EXPECT_EQ(sent_from(), relays[1]);
  EXPECT_EQ(from_peer(relays[1], peer6), 1u);
  // The IPv4 channel's number rests (§12) like any expired channel's.
  EXPECT_EQ(alice.channel_bind(0x4000, addr("[2001:db8::6]:7000")).error(), 400);
  EXPECT_EQ(refresh(alice, 0, Family::kV4).error(), 443);
  // The rest: a plain Refresh refreshes the family left, LIFETIME 0 ends it all.
  EXPECT_EQ(alice.refresh(900).get<attr::Lifetime>()->seconds, 900u);
  ASSERT_TRUE(alice.refresh(0).success());
  expect_all_released();
  const Counters& c = h.server->counters();
  EXPECT_EQ(c.allocations_ended[allocation_slot(Transport::kUdp, false)].get(), 1u);
}

TEST_F(DualStackTest, DeletingTheSecondFamilyKeepsTheFirst) {
  h.start();
  const auto relays = allocate_dual(alice);
  ASSERT_TRUE(refresh(alice, 0, Family::kV6).success());
  EXPECT_EQ(h.relays.open_count, 1u);
  EXPECT_TRUE(registry.contains(relays[0]));
  EXPECT_FALSE(registry.contains(relays[1]));
  EXPECT_EQ(alice.create_permission({peer6}).error(), 443);
  EXPECT_EQ(from_peer(relays[1], peer6), 0u);
  ASSERT_TRUE(alice.create_permission({peer4}).success());
  h.advance(Seconds(601));
  h.server->expire(h.now);
  expect_all_released();
}

// --- Both relays go with the allocation ---

TEST_F(DualStackTest, ExpiryDeletionAndTcpCloseReleaseBothRelays) {
  h.start();
  allocate_dual(alice);
  h.advance(Seconds(601));
  h.server->expire(h.now);
  expect_all_released();

  allocate_dual(alice);
  ASSERT_TRUE(alice.refresh(0).success());
  expect_all_released();

  TurnClient tcp{h, testing::tcp_tuple("198.51.100.7:40001")};
  allocate_dual(tcp);
  EXPECT_EQ(h.relays.open_count, 2u);
  h.server->on_client_closed(tcp.tuple());
  expect_all_released();

  // A worker that stops gives everything back too.
  allocate_dual(alice);
  h.server.reset();
  EXPECT_EQ(h.relays.open_count, 0u);
  EXPECT_EQ(h.quotas.total(), 0u);
}

// --- Quotas: one allocation is one unit of user-quota; each relay one unit of the total ---

TEST_F(DualStackTest, UserQuotaCountsADualAllocationOnce) {
  testing::QuotaHarness q(1, 0);
  testing::enable_turn(q);
  q.settings.relay_ips = {relay4, relay6};
  q.start();
  TurnClient first{q, testing::udp_tuple("198.51.100.7:40000")};
  TurnClient second{q, testing::udp_tuple("198.51.100.7:40001")};
  Reply r = first.allocate(kDual);
  ASSERT_TRUE(r.success()) << r.error();
  EXPECT_EQ(relayed(r).size(), 2u);
  EXPECT_EQ(second.allocate(kDual).error(), 486);
  EXPECT_EQ(second.allocate().error(), 486);
  EXPECT_EQ(q.relays.open_count, 2u);
  ASSERT_TRUE(first.refresh(0).success());
  EXPECT_EQ(q.limited.total(), 0u);
  EXPECT_TRUE(second.allocate(kDual).success());
}

// total-quota bounds relay sockets (it is the descriptor bound too): a dual allocation that
// finds room for one relay only gets one family, with 508 for the other.
TEST_F(DualStackTest, TotalQuotaCountsEachRelay) {
  testing::QuotaHarness q(0, 3);
  testing::enable_turn(q);
  q.settings.relay_ips = {relay4, relay6};
  q.start();
  TurnClient a{q, testing::udp_tuple("198.51.100.7:40000")};
  TurnClient b{q, testing::udp_tuple("198.51.100.7:40001")};
  TurnClient c{q, testing::udp_tuple("198.51.100.7:40002"), "bob", "hunter2"};
  EXPECT_EQ(relayed(a.allocate(kDual)).size(), 2u);
  Reply r = b.allocate(kDual);
  ASSERT_TRUE(r.success()) << r.error();
  EXPECT_EQ(relayed(r).size(), 1u);
  ASSERT_TRUE(r.get<attr::AddressErrorCode>());
  EXPECT_EQ(r.get<attr::AddressErrorCode>()->family, Family::kV6);
  EXPECT_EQ(r.get<attr::AddressErrorCode>()->code, 508);
  EXPECT_EQ(q.limited.total(), 3u);
  EXPECT_EQ(q.relays.open_count, 3u);
  EXPECT_EQ(c.allocate(kDual).error(), 486);
  ASSERT_TRUE(a.refresh(0).success());
  EXPECT_EQ(q.limited.total(), 1u);
  EXPECT_EQ(relayed(c.allocate(kDual)).size(), 2u);
}

// --- Relays of a family the client's own address lacks (RFC 8656 §7.2) ---

TEST_F(DualStackTest, AnIpv4ClientGetsAnIpv6RelayFromTheListeningAddresses) {
  h.settings.relay_ips.clear();  // relays on the listening addresses
  h.settings.listening_ips = {addr("192.0.2.1"), addr("::"), addr("2001:db8::1")};
  h.start();
  Reply r = alice.allocate(requested(Family::kV6));
  ASSERT_TRUE(r.success()) << r.error();
  EXPECT_EQ(r.get<attr::XorRelayedAddress>()->address, addr("[2001:db8::1]:50001"));
  TurnClient dual{h, testing::udp_tuple("198.51.100.7:40001")};
  r = dual.allocate(kDual);
  ASSERT_TRUE(r.success()) << r.error();
  EXPECT_EQ(relayed(r),
            (std::vector<Address>{addr("192.0.2.1:50003"), addr("[2001:db8::1]:50005")}));
  // And back: an IPv6 client asking for IPv4 relays on the IPv4 listening address.
  TurnClient v6{h, testing::udp_tuple("[2001:db8::7]:40000", "[2001:db8::1]:3478")};
  r = v6.allocate(requested(Family::kV4));
  ASSERT_TRUE(r.success()) << r.error();
  EXPECT_EQ(r.get<attr::XorRelayedAddress>()->address, addr("192.0.2.1:50007"));
  // Without a listening address of the family, 440 as before.
  h.settings.listening_ips = {addr("192.0.2.1")};
  TurnClient carol{h, testing::udp_tuple("198.51.100.7:40002")};
  h.start();
  EXPECT_EQ(carol.allocate(requested(Family::kV6)).error(), 440);
}

TEST_F(DualStackTest, AllocationDefaultAddressFamily) {
  h.settings.default_family = DefaultFamily::kIpv6;
  h.start();
  Reply r = alice.allocate();
  ASSERT_TRUE(r.success()) << r.error();
  EXPECT_TRUE(r.get<attr::XorRelayedAddress>()->address.is_v6());
  // REQUESTED-ADDRESS-FAMILY still wins.
  TurnClient bob{h, testing::udp_tuple("198.51.100.8:40000"), "bob", "hunter2"};
  EXPECT_TRUE(bob.allocate(requested(Family::kV4)).get<attr::XorRelayedAddress>()->address.is_v4());

  // keep: the family of the client's own connection.
  h.settings.default_family = DefaultFamily::kKeep;
  h.start();
  TurnClient v4{h, testing::udp_tuple("198.51.100.7:40001")};
  TurnClient v6{h, testing::udp_tuple("[2001:db8::7]:40000", "[2001:db8::1]:3478")};
  EXPECT_TRUE(v4.allocate().get<attr::XorRelayedAddress>()->address.is_v4());
  EXPECT_TRUE(v6.allocate().get<attr::XorRelayedAddress>()->address.is_v6());

  // With relay-ip set, a default family it does not have is 440 (§7.2 step 7)...
  h.settings.default_family = DefaultFamily::kIpv6;
  h.settings.relay_ips = {relay4};
  h.start();
  TurnClient carol{h, testing::udp_tuple("198.51.100.7:40002")};
  EXPECT_EQ(carol.allocate().error(), 440);
  // ...and without relay-ip, the family of the address the client reached stands in.
  h.settings.relay_ips.clear();
  h.start();
  TurnClient dave{h, testing::udp_tuple("198.51.100.7:40003")};
  EXPECT_TRUE(dave.allocate().get<attr::XorRelayedAddress>()->address.is_v4());
}

// --- DONT-FRAGMENT (RFC 8656 §7.2, §11.2, §13-15) ---

TEST_F(DualStackTest, DontFragmentAllocatesRelaysThatSetDf) {
  h.start();
  Reply r = alice.allocate(with([](stun::MessageBuilder& b) { b.add(attr::DontFragment{}); }));
  ASSERT_TRUE(r.success()) << r.error();
  EXPECT_TRUE(h.relays.dont_fragment[0]);
  TurnClient bob{h, testing::udp_tuple("198.51.100.8:40000"), "bob", "hunter2"};
  r = bob.allocate(with([](stun::MessageBuilder& b) {
    b.add(attr::AdditionalAddressFamily{Family::kV6});
    b.add(attr::DontFragment{});
  }));
  ASSERT_TRUE(r.success()) << r.error();
  EXPECT_EQ(relayed(r).size(), 2u);
  EXPECT_TRUE(h.relays.dont_fragment[1]);
  EXPECT_TRUE(h.relays.dont_fragment[2]);
  TurnClient carol{h, testing::udp_tuple("198.51.100.9:40000")};
  ASSERT_TRUE(carol.allocate().success());
  EXPECT_FALSE(h.relays.dont_fragment[3]);  // only when asked
}

TEST_F(DualStackTest, DontFragmentIs420WhereDfCannotBeSet) {
  h.relays.df_supported = false;
  h.start();
  Reply r = alice.allocate(with([](stun::MessageBuilder& b) { b.add(attr::DontFragment{}); }));
  EXPECT_EQ(r.error(), 420);
  ASSERT_TRUE(r.get<attr::UnknownAttributes>());
  EXPECT_EQ(r.get<attr::UnknownAttributes>()->types[0], attr::DontFragment::kType);
  expect_all_released();
}

// §11.2 -> §14/§15: a Send's DONT-FRAGMENT sets DF on that datagram for IPv4 to IPv4 and for
// anything that came over TCP; a UDP relay from IPv4 to IPv6 ignores it (§13).
TEST_F(DualStackTest, SendIndicationDontFragmentSetsDfOnThatDatagram) {
  h.start();
  allocate_dual(alice);
  ASSERT_TRUE(alice.create_permission({peer4, peer6}).success());
  h.egress.clear();
  alice.send_indication(peer4, testing::bytes_of(kPayload), true);
  ASSERT_EQ(h.egress.peer.size(), 1u);
  EXPECT_TRUE(h.egress.peer[0].dont_fragment);
  EXPECT_EQ(h.egress.peer[0].data, kPayload);
  alice.send_indication(peer4, testing::bytes_of(kPayload));
  EXPECT_FALSE(h.egress.peer.back().dont_fragment);
  alice.send_indication(peer6, testing::bytes_of(kPayload), true);
  ASSERT_EQ(h.egress.peer.size(), 3u);
  EXPECT_FALSE(h.egress.peer.back().dont_fragment);  // translated: ignored

  TurnClient tcp{h, testing::tcp_tuple("198.51.100.7:40001")};
  allocate_dual(tcp);
  ASSERT_TRUE(tcp.create_permission({peer4, peer6}).success());
  h.egress.clear();
  tcp.send_indication(peer6, testing::bytes_of(kPayload), true);
  ASSERT_EQ(h.egress.peer.size(), 1u);
  EXPECT_TRUE(h.egress.peer[0].dont_fragment);  // §15: over TCP, either family
}

TEST_F(DualStackTest, SendIndicationDontFragmentIsDroppedWhereDfCannotBeSet) {
  h.relays.df_supported = false;
  h.start();
  ASSERT_TRUE(alice.allocate().success());
  ASSERT_TRUE(alice.create_permission({peer4}).success());
  h.egress.clear();
  const std::uint64_t malformed = h.server->counters().dropped_malformed.get();
  EXPECT_EQ(alice.send_indication(peer4, testing::bytes_of(kPayload), true), 0u);
  EXPECT_TRUE(h.egress.peer.empty());
  EXPECT_EQ(h.server->counters().dropped_malformed.get(), malformed + 1);
  alice.send_indication(peer4, testing::bytes_of(kPayload));
  EXPECT_EQ(h.egress.peer.size(), 1u);
}

}  // namespace
}  // namespace ferry::turn
