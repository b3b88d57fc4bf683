// Realms in the core (coturn's dynamic realms): a request's ORIGIN picks the realm the store
// maps it to; its credentials, nonce and quotas are that realm's; an allocation keeps its realm
// (an index) for every later request. Abuse cases: ORIGIN cycling by strangers, credentials or
// nonces of one realm used in another, a realm's quota hit, an oversized ORIGIN, another ORIGIN
// under check-origin-consistency.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

#include "core_harness.h"
#include "ferry/auth/long_term_key.h"
#include "ferry/stun/attributes.h"
#include "ferry/stun/message.h"
#include "ferry/turn/dispatcher.h"
#include "ferry/turn/quotas.h"
#include "turn_client_fake.h"

namespace ferry::turn {
namespace {

using testing::TurnClient;
using testing::udp_tuple;

constexpr const char* kOriginB = "https://b.example";

// The configured realm example.org (alice:secret) and realm b.example, which origin
// https://b.example maps to (carol:bpass, dave:dpass, and another alice, alice:bsecret), with
// user-quota 1 and total-quota 2. https://a.example maps to the configured realm.
class RealmStore final : public auth::CredentialStore {
 public:
  auth::Lookup find(std::string_view user, std::string_view realm,
                    std::int64_t /*now*/) const override {
    ++finds;
    auto found = [&](std::string_view pass) {
      return auth::Lookup{
          auth::Lookup::Status::kFound,
          {{auth::md5_key(user, realm, pass), auth::sha256_key(user, realm, pass)}}};
    };
    if (realm == "example.org" && user == "alice") return found("secret");
    if (realm == "example.org" && user == "bob") return found("hunter2");
    if (realm == "b.example" && user == "carol") return found("bpass");
    if (realm == "b.example" && user == "dave") return found("dpass");
    if (realm == "b.example" && user == "alice") return found("bsecret");
    return {};
  }
  std::optional<auth::RealmMatch> realm_for_origin(std::string_view origin) const override {
    ++origin_lookups;
    if (origin == "https://b.example:443") return auth::RealmMatch{"b.example", b_options};
    if (origin == "https://a.example:443") return auth::RealmMatch{"example.org", {}};
    return std::nullopt;
  }
  auth::RealmOptions realm_options(std::string_view realm) const override {
    return realm == "b.example" ? b_options : auth::RealmOptions{};
  }
  auth::RealmOptions b_options{.user_quota = 1, .total_quota = 2};
  mutable int finds = 0;
  mutable int origin_lookups = 0;
};

class RealmsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::enable_turn(h);
    h.credentials = &store;
  }
  TurnClient in_b(const char* client, std::string user, std::string pass) {
    TurnClient c{h, udp_tuple(client), std::move(user), std::move(pass)};
    c.set_origin(kOriginB);
    return c;
  }
  RealmStore store;
  testing::CoreHarness h;
};

TEST_F(RealmsTest, MappedOriginGetsItsRealmAndItsUsers) {
  h.start();
  TurnClient carol = in_b("198.51.100.1:1000", "carol", "bpass");
  auto challenge = carol.challenge();
  ASSERT_EQ(challenge.error(), 401);
  EXPECT_EQ(challenge.get<stun::attr::Realm>()->value, "b.example");
  EXPECT_TRUE(carol.allocate().success());
  // Without ORIGIN, or with one that maps to nothing: the configured realm, as before.
  TurnClient alice{h, udp_tuple("198.51.100.2:1000")};
  EXPECT_EQ(alice.challenge().get<stun::attr::Realm>()->value, "example.org");
  EXPECT_TRUE(alice.allocate().success());
  TurnClient bob{h, udp_tuple("198.51.100.3:1000"), "bob", "hunter2"};
  bob.set_origin("https://unmapped.example");
  EXPECT_EQ(bob.challenge().get<stun::attr::Realm>()->value, "example.org");
  EXPECT_TRUE(bob.allocate().success());
  // An origin mapped to the configured realm is the configured realm (no index taken).
  TurnClient bob2{h, udp_tuple("198.51.100.4:1000"), "bob", "hunter2"};
  bob2.set_origin("HTTPS://A.EXAMPLE:443");
  EXPECT_TRUE(bob2.allocate().success());
  EXPECT_EQ(h.quotas.realm_name(1), "b.example");
  EXPECT_EQ(h.quotas.realm_name(2), "");
  EXPECT_EQ(h.quotas.realm_total(1), 1u);
  // The same name in realm B is realm B's user, with realm B's password.
  TurnClient alice_b = in_b("198.51.100.5:1000", "alice", "secret");
  EXPECT_EQ(alice_b.allocate().error(), 401);
}

// An allocation keeps its realm: later requests are authenticated in it, with or without
// ORIGIN, and a REALM of another realm is told the right one.
TEST_F(RealmsTest, LaterRequestsAreInTheAllocationsRealm) {
  h.start();
  TurnClient carol = in_b("198.51.100.1:1000", "carol", "bpass");
  ASSERT_TRUE(carol.allocate().success());
  carol.set_origin("");
  EXPECT_TRUE(carol.refresh(600).success());
  EXPECT_TRUE(carol.create_permission({testing::addr("203.0.113.9:0")}).success());
  carol.set_realm("example.org");
  auto wrong = carol.refresh(600);
  EXPECT_EQ(wrong.error(), 401);
  EXPECT_EQ(carol.realm(), "b.example");  // the 401 named the allocation's realm
  EXPECT_TRUE(carol.refresh(600).success());
  EXPECT_EQ(h.server->counters().auth_wrong_realm.get(), 1u);
}

// Abuse: a stranger cycling ORIGIN values. Each answer is the configured realm's challenge;
// nothing is kept (no realm index, no allocation), and each request costs one store lookup and
// no MESSAGE-INTEGRITY HMAC; a signed one costs exactly one, as without realms.
TEST_F(RealmsTest, StrangerCyclingOriginsLeavesNoState) {
  h.start();
  for (int i = 0; i < 5000; ++i) {
    TurnClient s{h, udp_tuple("198.51.100.66:4000"), "mallory", "x"};
    s.set_origin("https://o" + std::to_string(i) + ".example");
    const std::uint64_t before = stun::integrity_checks_on_this_thread();
    auto r = s.challenge();
    ASSERT_EQ(r.error(), 401);
    ASSERT_EQ(r.get<stun::attr::Realm>()->value, "example.org");
    ASSERT_EQ(stun::integrity_checks_on_this_thread(), before);
    auto signed_one = s.request(stun::Method::kAllocate, TurnClient::udp());
    ASSERT_EQ(signed_one.error(), 401);
    ASSERT_EQ(stun::integrity_checks_on_this_thread() - before, 1u);
  }
  EXPECT_EQ(store.origin_lookups, 10000);
  EXPECT_EQ(h.server->allocation_count(), 0u);
  EXPECT_EQ(h.quotas.realm_name(1), "");
  EXPECT_EQ(h.quotas.total(), 0u);
}

// Abuse: an ORIGIN mapping to realm B with realm A's credentials. Signed with REALM A (and
// a nonce of realm B): 401 naming B, after the one HMAC every refusal costs, no lookup in A.
TEST_F(RealmsTest, CredentialsOfAnotherRealmAreRefused) {
  h.start();
  TurnClient alice = in_b("198.51.100.1:1000", "alice", "secret");
  ASSERT_EQ(alice.challenge().get<stun::attr::Realm>()->value, "b.example");
  alice.set_realm("example.org");  // signs with realm A's key and REALM
  const int finds = store.finds;
  const std::uint64_t before = stun::integrity_checks_on_this_thread();
  stun::TransactionId tid{0x42};
  auto r = alice.request(stun::Method::kAllocate, TurnClient::udp(),
                         TurnClient::Options{.retry_stale = false, .tid = tid});
  EXPECT_EQ(r.error(), 401);
  EXPECT_EQ(r.get<stun::attr::Realm>()->value, "b.example");
  EXPECT_FALSE(r.has_integrity());
  EXPECT_EQ(stun::integrity_checks_on_this_thread() - before, 1u);
  EXPECT_EQ(store.finds, finds);
  EXPECT_EQ(h.server->counters().auth_wrong_realm.get(), 1u);
  EXPECT_EQ(h.server->allocation_count(), 0u);
}

// Abuse: a nonce a challenge of realm A gave, spent in realm B: 438 with B's realm and a fresh
// nonce (the realm is bound into the nonce's HMAC).
TEST_F(RealmsTest, NonceOfOneRealmIsStaleInAnother) {
  h.start();
  TurnClient carol{h, udp_tuple("198.51.100.1:1000"), "carol", "bpass"};
  ASSERT_EQ(carol.challenge().get<stun::attr::Realm>()->value, "example.org");
  const std::string nonce_a = carol.nonce();
  carol.set_origin(kOriginB);
  carol.set_realm("b.example");
  auto r = carol.request(stun::Method::kAllocate, TurnClient::udp(),
                         TurnClient::Options{.retry_stale = false});
  EXPECT_EQ(r.error(), 438);
  EXPECT_EQ(r.get<stun::attr::Realm>()->value, "b.example");
  EXPECT_NE(carol.nonce(), nonce_a);
  EXPECT_EQ(h.server->counters().auth_stale_nonce.get(), 1u);
  // With the nonce realm B's 438 gave, it goes through.
  EXPECT_TRUE(carol.request(stun::Method::kAllocate, TurnClient::udp()).success());
}

// A realm's quotas (its turn_realm_option rows): 486 in realm B, the configured realm
// unaffected; what an allocation gives back returns to its realm.
TEST_F(RealmsTest, PerRealmQuotaLeavesOtherRealmsAlone) {
  h.start();
  TurnClient carol1 = in_b("198.51.100.1:1000", "carol", "bpass");
  TurnClient carol2 = in_b("198.51.100.1:1001", "carol", "bpass");
  ASSERT_TRUE(carol1.allocate().success());
  EXPECT_EQ(carol2.allocate().error(), 486) << "user-quota 1 in realm B";
  TurnClient dave = in_b("198.51.100.2:1000", "dave", "dpass");
  ASSERT_TRUE(dave.allocate().success());
  TurnClient alice_b = in_b("198.51.100.3:1000", "alice", "bsecret");
  EXPECT_EQ(alice_b.allocate().error(), 486) << "total-quota 2 in realm B";
  // The configured realm has no such limits: alice allocates three times.
  for (std::uint16_t port = 2000; port < 2003; ++port) {
    TurnClient alice{h,
                     {testing::addr(("198.51.100.9:" + std::to_string(port)).c_str()),
                      testing::addr("192.0.2.1:3478"), Transport::kUdp}};
    EXPECT_TRUE(alice.allocate().success());
  }
  EXPECT_EQ(h.quotas.realm_total(1), 2u);
  EXPECT_EQ(h.quotas.realm_total(0), 3u);
  ASSERT_TRUE(carol1.refresh(0).success());  // deleted: its unit goes back to realm B
  EXPECT_EQ(h.quotas.realm_total(1), 1u);
  EXPECT_TRUE(carol2.allocate().success());
}

// Per-realm counters are shared by every worker: two dispatchers (two workers) over one
// Quotas see realm B's user-quota as one.
TEST_F(RealmsTest, RealmQuotaHoldsAcrossWorkers) {
  Quotas shared(0, 0);
  h.shared_quotas = &shared;
  h.start();
  testing::CoreHarness h2;
  testing::enable_turn(h2);
  h2.credentials = &store;
  h2.shared_quotas = &shared;
  h2.start();
  TurnClient first = in_b("198.51.100.1:1000", "carol", "bpass");
  ASSERT_TRUE(first.allocate().success());
  TurnClient second{h2, udp_tuple("198.51.100.1:1001"), "carol", "bpass"};
  second.set_origin(kOriginB);
  EXPECT_EQ(second.allocate().error(), 486);
  EXPECT_EQ(shared.realm_total(1), 1u);
  h.server.reset();  // the first worker ends: its allocation's unit goes back
  EXPECT_EQ(shared.realm_total(1), 0u);
  EXPECT_TRUE(second.allocate().success());
}

// Abuse: an oversized ORIGIN (over auth::kMaxOriginLength) is not looked up at all.
TEST_F(RealmsTest, OversizedOriginIsNotLookedUp) {
  h.start();
  TurnClient c = in_b("198.51.100.1:1000", "alice", "secret");
  c.set_origin("https://" + std::string(400, 'b') + ".example");
  auto r = c.challenge();
  EXPECT_EQ(r.get<stun::attr::Realm>()->value, "example.org");
  EXPECT_EQ(store.origin_lookups, 0);
  EXPECT_TRUE(c.allocate().success());
}

// coturn's client sends several ORIGINs (two of its own around the one asked for): the first
// that maps names the realm; at most 4 are looked up, however many a message carries.
TEST_F(RealmsTest, FirstMappedOfSeveralOriginsWinsAndLookupsAreBounded) {
  h.start();
  TurnClient c{h, udp_tuple("198.51.100.1:1000"), "carol", "bpass"};
  auto with = [](int unmapped_first) {
    return [unmapped_first](stun::MessageBuilder& b) {
      b.add(stun::attr::RequestedTransport{stun::attr::RequestedTransport::kUdp});
      for (int i = 0; i < unmapped_first; ++i) {
        b.add(stun::attr::Origin{"https://n" + std::to_string(i) + ".example"});
      }
      b.add(stun::attr::Origin{kOriginB});
    };
  };
  EXPECT_EQ(c.challenge(with(2)).get<stun::attr::Realm>()->value, "b.example");
  EXPECT_EQ(store.origin_lookups, 3);
  EXPECT_TRUE(c.allocate(with(2)).success());
  store.origin_lookups = 0;
  TurnClient d{h, udp_tuple("198.51.100.2:1000"), "carol", "bpass"};
  EXPECT_EQ(d.challenge(with(10)).get<stun::attr::Realm>()->value, "example.org");
  EXPECT_EQ(store.origin_lookups, 4);
}

// no-dynamic-realms: ORIGIN is ignored, every request is in the configured realm.
TEST_F(RealmsTest, NoDynamicRealmsIgnoresOrigin) {
  h.settings.dynamic_realms = false;
  h.start();
  TurnClient alice = in_b("198.51.100.1:1000", "alice", "secret");
  EXPECT_EQ(alice.challenge().get<stun::attr::Realm>()->value, "example.org");
  EXPECT_TRUE(alice.allocate().success());
  EXPECT_EQ(store.origin_lookups, 0);
}

// Abuse: check-origin-consistency. A later request of the allocation with another ORIGIN (or
// none) is 441, signed; the same origin in another spelling is the same origin.
TEST_F(RealmsTest, OriginConsistency) {
  h.settings.check_origin_consistency = true;
  h.start();
  TurnClient carol = in_b("198.51.100.1:1000", "carol", "bpass");
  ASSERT_TRUE(carol.allocate().success());
  carol.set_origin("https://evil.example");
  auto r = carol.refresh(600);
  EXPECT_EQ(r.error(), 441);
  EXPECT_TRUE(r.has_integrity());
  carol.set_origin("");
  EXPECT_EQ(carol.refresh(600).error(), 441);
  carol.set_origin("HTTPS://B.EXAMPLE:443/");
  EXPECT_TRUE(carol.refresh(600).success());
  EXPECT_EQ(h.server->counters().auth_wrong_origin.get(), 2u);
  // An allocation made without ORIGIN may not gain one.
  TurnClient alice{h, udp_tuple("198.51.100.2:1000")};
  ASSERT_TRUE(alice.allocate().success());
  alice.set_origin("https://a.example");
  EXPECT_EQ(alice.refresh(600).error(), 441);
}

TEST_F(RealmsTest, OriginConsistencyIsOffByDefault) {
  h.start();
  TurnClient carol = in_b("198.51.100.1:1000", "carol", "bpass");
  ASSERT_TRUE(carol.allocate().success());
  carol.set_origin("https://evil.example");
  EXPECT_TRUE(carol.refresh(600).success());  // still realm B's allocation
}

// Quotas' realm table: indexes are stable, bounded, and readable without the lock while
// another thread adds realms (the index an allocation keeps always names its realm).
TEST(QuotasRealms, IndexesAreStableAndBounded) {
  Quotas q(0, 0);
  auto a = q.realm_index("a.example");
  ASSERT_TRUE(a);
  EXPECT_EQ(*a, 1u);
  EXPECT_EQ(q.realm_index("a.example"), a);
  std::thread adder([&] {
    for (std::size_t i = 0; i < 1000; ++i) (void)q.realm_index("r" + std::to_string(i));
  });
  for (int i = 0; i < 10000; ++i) ASSERT_EQ(q.realm_name(*a), "a.example");
  adder.join();
  std::size_t added = 2 + 1000;
  while (added < Quotas::kMaxRealms) ASSERT_TRUE(q.realm_index("x" + std::to_string(added++)));
  EXPECT_FALSE(q.realm_index("one.too.many"));
  EXPECT_EQ(q.realm_name(0), "");
}

TEST(QuotasRealms, CountsPerRealmUnderConcurrentWorkers) {
  Quotas q(0, 0);
  const auto b = *q.realm_index("b.example");
  const RealmLimits limits{.realm = b, .user_quota = 0, .total_quota = 50};
  std::atomic<int> over{0};
  auto worker = [&](int id) {
    for (int i = 0; i < 2000; ++i) {
      const std::string user = "u" + std::to_string(id) + "-" + std::to_string(i % 7);
      if (q.acquire(user, {}, limits)) {
        if (q.realm_total(b) > 50) ++over;
        q.release(user, {}, b);
      }
    }
  };
  std::thread t1(worker, 1);
  std::thread t2(worker, 2);
  t1.join();
  t2.join();
  EXPECT_EQ(over.load(), 0);
  EXPECT_EQ(q.realm_total(b), 0u);
  EXPECT_EQ(q.total(), 0u);
  EXPECT_TRUE(q.per_user().empty());
}

}  // namespace
}  // namespace ferry::turn
