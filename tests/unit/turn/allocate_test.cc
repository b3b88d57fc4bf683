// Allocate (RFC 8656 §7.2) and the long-term credential check (RFC 8489 §9.2.4) through the
// core with fakes: the exact ERROR-CODE and attributes of every answer.
#include <gtest/gtest.h>

#include <string>

#include "core_harness.h"
#include "ferry/auth/long_term_key.h"
#include "ferry/auth/nonce.h"
#include "ferry/stun/attributes.h"
#include "ferry/turn/dispatcher.h"
#include "turn_client_fake.h"

namespace ferry::turn {
namespace {

namespace attr = stun::attr;
using stun::Method;
using testing::addr;
using testing::Reply;
using testing::TurnClient;

const auth::Md5Key kAliceKey = auth::md5_key("alice", "example.org", "secret");

class AllocateTest : public ::testing::Test {
 protected:
  void SetUp() override { testing::enable_turn(h); }
  Reply allocate_with(TurnClient& c, const testing::Attrs& extra) {
    return c.allocate([extra](stun::MessageBuilder& b) {
      TurnClient::udp()(b);
      extra(b);
    });
  }
  void expect_nothing_allocated() {
    EXPECT_EQ(h.server->allocation_count(), 0u);
    EXPECT_EQ(h.relays.open_count, 0u);
    EXPECT_EQ(h.quotas.total(), 0u);
  }

  testing::CoreHarness h;
  TurnClient alice{h, testing::udp_tuple("198.51.100.7:40000")};
};

TEST_F(AllocateTest, UnauthenticatedAllocateGets401WithRealmAndNonceOnly) {
  h.start();
  Reply r = alice.challenge();
  EXPECT_TRUE(r.msg().is(Method::kAllocate, stun::Class::kError));
  EXPECT_EQ(r.error(), 401);
  EXPECT_EQ(r.msg().transaction_id(), alice.last_tid());
  ASSERT_TRUE(r.get<attr::Realm>());
  EXPECT_EQ(r.get<attr::Realm>()->value, "example.org");
  ASSERT_TRUE(r.get<attr::Nonce>());
  EXPECT_EQ(r.get<attr::Nonce>()->value.size(), auth::NonceCodec::kLength);  // cookie + 48
  EXPECT_FALSE(r.has_integrity());
  EXPECT_FALSE(r.get<attr::Username>());
  expect_nothing_allocated();
}

// RFC 8489 §10, alternate-server: new allocations go elsewhere, round robin, in an
// authenticated 300 (a 401 first, as for any Allocate); nothing is allocated here.
TEST_F(AllocateTest, AlternateServersTakeNewAllocationsRoundRobin) {
  h.settings.alternate_servers = {{addr("203.0.113.1:3478")}, {addr("[2001:db8::1]:3478")}};
  h.settings.tls_alternate_servers = {{addr("203.0.113.9:5349")}};
  h.start();
  for (const char* expected : {"203.0.113.1:3478", "[2001:db8::1]:3478", "203.0.113.1:3478"}) {
    Reply r = alice.allocate();
    EXPECT_EQ(r.error(), 300);
    EXPECT_EQ(r.msg().get<attr::ErrorCode>()->reason, "Try Alternate");
    ASSERT_TRUE(r.get<attr::AlternateServer>());
    EXPECT_EQ(r.get<attr::AlternateServer>()->address.to_string(), expected);
    EXPECT_TRUE(r.integrity_ok(kAliceKey));
  }
  expect_nothing_allocated();
  // TLS clients get the TLS list.
  FiveTuple tls = testing::tcp_tuple("198.51.100.8:40001");
  tls.transport = Transport::kTls;
  TurnClient secure{h, tls};
  Reply r = secure.allocate([](stun::MessageBuilder& b) { TurnClient::udp()(b); });
  EXPECT_EQ(r.error(), 300);
  EXPECT_EQ(r.get<attr::AlternateServer>()->address.to_string(), "203.0.113.9:5349");
}

// Without a TLS list, TLS clients allocate here while UDP/TCP ones are sent away.
TEST_F(AllocateTest, AlternateServersOnlyForTheirTransports) {
  h.settings.alternate_servers = {{addr("203.0.113.1:3478")}};
  h.start();
  FiveTuple tls = testing::tcp_tuple("198.51.100.8:40001");
  tls.transport = Transport::kTls;
  TurnClient secure{h, tls};
  EXPECT_TRUE(secure.allocate([](stun::MessageBuilder& b) { TurnClient::udp()(b); }).success());
  EXPECT_EQ(alice.allocate().error(), 300);
}

TEST_F(AllocateTest, SuccessCarriesRelayedLifetimeMappedAndIntegrity) {
  h.start();
  Reply r = alice.allocate();
  ASSERT_TRUE(r.success()) << r.error();
  EXPECT_EQ(r.msg().transaction_id(), alice.last_tid());
  ASSERT_TRUE(r.get<attr::XorRelayedAddress>());
  EXPECT_EQ(r.get<attr::XorRelayedAddress>()->address, addr("192.0.2.1:50001"));
  ASSERT_TRUE(r.get<attr::Lifetime>());
  EXPECT_EQ(r.get<attr::Lifetime>()->seconds, 600u);
  ASSERT_TRUE(r.get<attr::XorMappedAddress>());
  EXPECT_EQ(r.get<attr::XorMappedAddress>()->address, alice.tuple().client);
  EXPECT_TRUE(r.integrity_ok(kAliceKey));
  EXPECT_FALSE(r.get<attr::Username>());
  EXPECT_FALSE(r.get<attr::Nonce>());
  EXPECT_EQ(h.server->allocation_count(), 1u);
  EXPECT_EQ(h.relays.open_count, 1u);
  EXPECT_EQ(h.quotas.total(), 1u);
  EXPECT_EQ(h.server->counters().allocations_created_total(), 1u);
}

TEST_F(AllocateTest, ExternalIpPublicReplacesTheRelayAddress) {
  h.settings.external_ips = {{addr("203.0.113.99"), Address{}}};
  h.start();
  Reply r = alice.allocate();
  ASSERT_TRUE(r.success()) << r.error();
  EXPECT_EQ(r.get<attr::XorRelayedAddress>()->address, addr("203.0.113.99:50001"));
}

TEST_F(AllocateTest, ExternalIpPublicPrivateMapsOnlyItsPrivateAddress) {
  h.settings.external_ips = {{addr("203.0.113.98"), addr("192.0.2.77")},
                             {addr("203.0.113.99"), addr("192.0.2.1")}};
  h.start();
  Reply r = alice.allocate();
  ASSERT_TRUE(r.success()) << r.error();
  EXPECT_EQ(r.get<attr::XorRelayedAddress>()->address, addr("203.0.113.99:50001"));

  h.settings.external_ips = {{addr("203.0.113.98"), addr("192.0.2.77")}};
  h.start();
  TurnClient other{h, testing::udp_tuple("198.51.100.7:40001")};
  r = other.allocate();
  ASSERT_TRUE(r.success()) << r.error();
  EXPECT_EQ(r.get<attr::XorRelayedAddress>()->address.ip_string(), "192.0.2.1");
}

TEST_F(AllocateTest, LifetimeIsDefaultedRaisedAndClamped) {
  h.start();
  struct Case {
    std::uint16_t port;
    std::optional<std::uint32_t> requested;
    std::uint32_t granted;
  };
  for (const Case& c : {Case{40001, std::nullopt, 600}, Case{40002, 1200, 1200},
                        Case{40003, 0xFFFFFFFF, 3600}, Case{40004, 30, 600}}) {
    FiveTuple t = alice.tuple();
    t.client.set_port(c.port);
    TurnClient client{h, t};
    Reply r = allocate_with(client, [&c](stun::MessageBuilder& b) {
      if (c.requested) b.add(attr::Lifetime{*c.requested});
    });
    ASSERT_TRUE(r.success()) << r.error();
    EXPECT_EQ(r.get<attr::Lifetime>()->seconds, c.granted) << c.port;
  }
}

TEST_F(AllocateTest, WrongPasswordAndUnknownUserBothGet401) {
  h.start();
  alice.set_password("wrong");
  Reply r = alice.allocate();
  EXPECT_EQ(r.error(), 401);
  EXPECT_TRUE(r.get<attr::Realm>());
  EXPECT_TRUE(r.get<attr::Nonce>());
  EXPECT_FALSE(r.has_integrity());

  TurnClient mallory{h, testing::udp_tuple("198.51.100.9:40000"), "mallory", "secret"};
  r = mallory.allocate();
  EXPECT_EQ(r.error(), 401);
  EXPECT_TRUE(r.get<attr::Nonce>());
  EXPECT_FALSE(r.has_integrity());
  expect_nothing_allocated();
}

TEST_F(AllocateTest, IntegrityWithoutNonceIs400) {
  h.start();
  alice.challenge();
  TurnClient::Options o;
  o.send_nonce = false;
  Reply r = alice.request(Method::kAllocate, TurnClient::udp(), o);
  EXPECT_EQ(r.error(), 400);
  EXPECT_FALSE(r.has_integrity());
  expect_nothing_allocated();
}

TEST_F(AllocateTest, StaleNonceGets438WithAFreshNonceThatThenWorks) {
  h.start();
  alice.challenge();
  const std::string first = alice.nonce();
  h.advance(h.settings.nonce_lifetime + Seconds(1));
  TurnClient::Options o;
  o.retry_stale = false;
  Reply r = alice.request(Method::kAllocate, TurnClient::udp(), o);
  EXPECT_EQ(r.error(), 438);
  ASSERT_TRUE(r.get<attr::Nonce>());
  EXPECT_EQ(r.get<attr::Nonce>()->value.size(), auth::NonceCodec::kLength);  // cookie + 48
  EXPECT_NE(r.get<attr::Nonce>()->value, first);
  EXPECT_EQ(r.get<attr::Realm>()->value, "example.org");
  EXPECT_FALSE(r.has_integrity());
  expect_nothing_allocated();

  r = alice.request(Method::kAllocate, TurnClient::udp(), o);  // with the fresh nonce
  EXPECT_TRUE(r.success()) << r.error();
}

TEST_F(AllocateTest, NonceIssuedToAnotherIpGets438) {
  h.start();
  alice.challenge();
  TurnClient thief{h, testing::udp_tuple("198.51.100.8:40000")};
  thief.set_realm(alice.realm());
  thief.set_nonce(alice.nonce());
  TurnClient::Options o;
  o.retry_stale = false;
  Reply r = thief.request(Method::kAllocate, TurnClient::udp(), o);
  EXPECT_EQ(r.error(), 438);
  EXPECT_TRUE(r.get<attr::Nonce>());
  EXPECT_NE(r.get<attr::Nonce>()->value, alice.nonce());
  expect_nothing_allocated();
}

TEST_F(AllocateTest, MissingRequestedTransportIs400) {
  h.start();
  Reply r = alice.allocate([](stun::MessageBuilder&) {});
  EXPECT_EQ(r.error(), 400);
  // RFC 8489 §9.2.4: every response after the credential check passed carries integrity.
  EXPECT_TRUE(r.integrity_ok(kAliceKey));
  expect_nothing_allocated();
}

TEST_F(AllocateTest, TcpOrUnknownTransportIs442) {
  h.start();
  for (std::uint8_t proto : {std::uint8_t{6}, std::uint8_t{99}}) {
    Reply r = alice.allocate(
        [proto](stun::MessageBuilder& b) { b.add(attr::RequestedTransport{proto}); });
    EXPECT_EQ(r.error(), 442) << int{proto};
    EXPECT_TRUE(r.integrity_ok(kAliceKey));
  }
  expect_nothing_allocated();
}

// Where relays cannot set DF (dual_stack_test.cc has the relays that can).
TEST_F(AllocateTest, DontFragmentIs420ListingIt) {
  h.relays.df_supported = false;
  h.start();
  Reply r = allocate_with(alice, [](stun::MessageBuilder& b) { b.add(attr::DontFragment{}); });
  EXPECT_EQ(r.error(), 420);
  auto ua = r.get<attr::UnknownAttributes>();
  ASSERT_TRUE(ua);
  ASSERT_EQ(ua->count, 1u);
  EXPECT_EQ(ua->types[0], 0x001A);
  EXPECT_EQ(r.get<attr::ErrorCode>()->reason, "Unknown Attribute");
  EXPECT_TRUE(r.integrity_ok(kAliceKey));
  // ERROR-CODE, UNKNOWN-ATTRIBUTES, SOFTWARE, MESSAGE-INTEGRITY: nothing else, in that order.
  const stun::MessageView& m = r.msg();
  ASSERT_EQ(m.attribute_count(), 4u);
  EXPECT_EQ(m.attribute(0).type, attr::ErrorCode::kType);
  EXPECT_EQ(m.attribute(1).type, attr::UnknownAttributes::kType);
  EXPECT_EQ(m.attribute(2).type, attr::Software::kType);
  EXPECT_EQ(m.attribute(3).type, stun::attr::kMessageIntegrity);
  expect_nothing_allocated();
}

TEST_F(AllocateTest, ReservationTokenWithEvenPortIs400AndAloneIs508) {
  h.start();
  Reply r = allocate_with(alice, [](stun::MessageBuilder& b) {
    b.add(attr::EvenPort{false});
    b.add(attr::ReservationToken{{1, 2, 3, 4, 5, 6, 7, 8}});
  });
  EXPECT_EQ(r.error(), 400);
  EXPECT_TRUE(r.integrity_ok(kAliceKey));
  r = allocate_with(alice, [](stun::MessageBuilder& b) {
    b.add(attr::ReservationToken{{1, 2, 3, 4, 5, 6, 7, 8}});
  });
  EXPECT_EQ(r.error(), 508);
  EXPECT_TRUE(r.integrity_ok(kAliceKey));
  expect_nothing_allocated();
}

// RFC 8656 §7.2: EVEN-PORT with R: an even port, the next one held behind a RESERVATION-TOKEN
// that a later Allocate (another 5-tuple) presents once.
TEST_F(AllocateTest, EvenPortReserveHoldsTheNextPortForItsToken) {
  h.start();
  Reply r = allocate_with(alice, [](stun::MessageBuilder& b) { b.add(attr::EvenPort{true}); });
  ASSERT_TRUE(r.success()) << r.error();
  auto relayed = r.get<attr::XorRelayedAddress>()->address;
  EXPECT_EQ(relayed.port() % 2, 0);
  auto token = r.get<attr::ReservationToken>();
  ASSERT_TRUE(token);
  TurnClient rtcp{h, testing::udp_tuple("198.51.100.7:40001")};
  Reply second = allocate_with(rtcp, [&](stun::MessageBuilder& b) { b.add(*token); });
  ASSERT_TRUE(second.success()) << second.error();
  EXPECT_EQ(second.get<attr::XorRelayedAddress>()->address.port(), relayed.port() + 1);
  EXPECT_FALSE(second.get<attr::ReservationToken>());
  TurnClient again{h, testing::udp_tuple("198.51.100.7:40002")};
  EXPECT_EQ(allocate_with(again, [&](stun::MessageBuilder& b) { b.add(*token); }).error(), 508);
  EXPECT_EQ(h.server->allocation_count(), 2u);
}

TEST_F(AllocateTest, LapsedReservationTokenIs508) {
  h.start();
  Reply r = allocate_with(alice, [](stun::MessageBuilder& b) { b.add(attr::EvenPort{true}); });
  auto token = r.get<attr::ReservationToken>();
  ASSERT_TRUE(token);
  h.advance(Seconds(31));
  TurnClient rtcp{h, testing::udp_tuple("198.51.100.7:40001")};
  EXPECT_EQ(allocate_with(rtcp, [&](stun::MessageBuilder& b) { b.add(*token); }).error(), 508);
}

TEST_F(AllocateTest, EvenPortReserveWithoutAFreeNextPortIs508AndHoldsNothing) {
  h.relays.refuse_reservations = true;
  h.start();
  Reply r = allocate_with(alice, [](stun::MessageBuilder& b) { b.add(attr::EvenPort{true}); });
  EXPECT_EQ(r.error(), 508);
  expect_nothing_allocated();
}

TEST_F(AllocateTest, RelaysExhaustedIs508AndReleasesTheQuota) {
  h.relays.capacity = 0;
  h.start();
  Reply r = alice.allocate();
  EXPECT_EQ(r.error(), 508);
  EXPECT_TRUE(r.integrity_ok(kAliceKey));
  expect_nothing_allocated();
}

TEST_F(AllocateTest, UserQuotaIs486UntilTheFirstAllocationIsDeleted) {
  testing::QuotaHarness q(1, 0);
  testing::enable_turn(q);
  q.start();
  TurnClient first{q, testing::udp_tuple("198.51.100.7:40000")};
  TurnClient second{q, testing::udp_tuple("198.51.100.7:40001")};
  ASSERT_TRUE(first.allocate().success());
  Reply r = second.allocate();
  EXPECT_EQ(r.error(), 486);
  EXPECT_TRUE(r.integrity_ok(kAliceKey));
  EXPECT_EQ(q.server->allocation_count(), 1u);
  EXPECT_EQ(q.relays.open_count, 1u);
  TurnClient bob{q, testing::udp_tuple("198.51.100.7:40002"), "bob", "hunter2"};
  EXPECT_TRUE(bob.allocate().success());  // the quota is per user

  ASSERT_TRUE(first.refresh(0).success());
  EXPECT_EQ(q.limited.total(), 1u);
  EXPECT_TRUE(second.allocate().success());
  EXPECT_EQ(q.limited.total(), 2u);
}

TEST_F(AllocateTest, TotalQuotaIs486) {
  testing::QuotaHarness q(0, 1);
  testing::enable_turn(q);
  q.start();
  TurnClient first{q, testing::udp_tuple("198.51.100.7:40000")};
  TurnClient bob{q, testing::udp_tuple("198.51.100.8:40000"), "bob", "hunter2"};
  ASSERT_TRUE(first.allocate().success());
  Reply r = bob.allocate();
  EXPECT_EQ(r.error(), 486);
  EXPECT_TRUE(r.integrity_ok(auth::md5_key("bob", "example.org", "hunter2")));
  EXPECT_EQ(q.server->allocation_count(), 1u);
  EXPECT_EQ(q.limited.total(), 1u);
}

TEST_F(AllocateTest, RetransmissionGetsTheSameBytesAndNoSecondAllocation) {
  h.start();
  Reply first = alice.allocate();
  ASSERT_TRUE(first.success());
  TurnClient::Options o;
  o.tid = alice.last_tid();
  Reply again = alice.request(Method::kAllocate, TurnClient::udp(), o);
  EXPECT_EQ(again.bytes(), first.bytes());
  EXPECT_EQ(h.server->allocation_count(), 1u);
  EXPECT_EQ(h.relays.open_count, 1u);
  EXPECT_EQ(h.server->counters().allocations_created_total(), 1u);
}

TEST_F(AllocateTest, NewAllocateOnAnAllocatedFiveTupleIs437) {
  h.start();
  ASSERT_TRUE(alice.allocate().success());
  Reply r = alice.allocate();  // a new transaction id
  EXPECT_EQ(r.error(), 437);
  EXPECT_TRUE(r.integrity_ok(kAliceKey));
  EXPECT_EQ(h.server->allocation_count(), 1u);
  EXPECT_EQ(h.relays.open_count, 1u);
}

TEST_F(AllocateTest, AttributesAfterIntegrityAreIgnored) {
  h.start();
  alice.challenge();
  TurnClient::Options o;
  o.after_mi = [](stun::MessageBuilder& b) {
    b.add(attr::Username{"bob"});
    b.add(attr::Lifetime{3600});
  };
  Reply r = alice.request(Method::kAllocate, TurnClient::udp(), o);
  ASSERT_TRUE(r.success()) << r.error();
  EXPECT_TRUE(r.integrity_ok(kAliceKey));
  EXPECT_EQ(r.get<attr::Lifetime>()->seconds, 600u);  // the trailing LIFETIME did not count
  // The allocation is alice's: her Refresh works, bob's credentials on the 5-tuple get 441.
  EXPECT_TRUE(alice.refresh(600).success());
  TurnClient bob{h, alice.tuple(), "bob", "hunter2"};
  bob.challenge();
  EXPECT_EQ(bob.refresh(600).error(), 441);

  // A REQUESTED-TRANSPORT only after MESSAGE-INTEGRITY is missing.
  TurnClient carol{h, testing::udp_tuple("198.51.100.7:40001")};
  carol.challenge();
  o.after_mi = TurnClient::udp();
  EXPECT_EQ(carol.request(Method::kAllocate, {}, o).error(), 400);
}

TEST_F(AllocateTest, TurnDisabledIs403) {
  h.settings.turn_enabled = false;
  h.start();
  Reply r = alice.challenge();
  EXPECT_EQ(r.error(), 403);
  EXPECT_FALSE(r.get<attr::Nonce>());
  EXPECT_FALSE(r.has_integrity());
  expect_nothing_allocated();
}

TEST_F(AllocateTest, NoAuthAllocatesWithoutCredentialsOrIntegrity) {
  h.settings.auth_required = false;
  h.start();
  alice.set_anonymous();
  Reply r = alice.allocate();
  ASSERT_TRUE(r.success()) << r.error();
  EXPECT_FALSE(r.has_integrity());
  EXPECT_EQ(r.get<attr::XorRelayedAddress>()->address, addr("192.0.2.1:50001"));
  EXPECT_EQ(r.get<attr::XorMappedAddress>()->address, alice.tuple().client);
  EXPECT_EQ(h.server->allocation_count(), 1u);
  r = alice.refresh(1200);
  EXPECT_TRUE(r.success());
  EXPECT_FALSE(r.has_integrity());
  EXPECT_EQ(alice.allocate().error(), 437);
  EXPECT_FALSE(alice.last().has_integrity());
}

TEST_F(AllocateTest, RequestedIpv6OnAnIpv4ListenerWithoutRelayIpsIs440) {
  h.start();
  Reply r = allocate_with(
      alice, [](stun::MessageBuilder& b) { b.add(attr::RequestedAddressFamily{Family::kV6}); });
  EXPECT_EQ(r.error(), 440);
  EXPECT_TRUE(r.integrity_ok(kAliceKey));
  expect_nothing_allocated();
}

TEST_F(AllocateTest, RequestedIpv6UsesAnIpv6RelayIp) {
  h.settings.relay_ips = {addr("192.0.2.10"), addr("2001:db8::10")};
  h.start();
  Reply r = allocate_with(
      alice, [](stun::MessageBuilder& b) { b.add(attr::RequestedAddressFamily{Family::kV6}); });
  ASSERT_TRUE(r.success()) << r.error();
  EXPECT_EQ(r.get<attr::XorRelayedAddress>()->address, addr("[2001:db8::10]:50001"));
  TurnClient v4{h, testing::udp_tuple("198.51.100.7:40001")};
  r = v4.allocate();
  ASSERT_TRUE(r.success()) << r.error();
  EXPECT_EQ(r.get<attr::XorRelayedAddress>()->address, addr("192.0.2.10:50003"));
}

}  // namespace
}  // namespace ferry::turn
