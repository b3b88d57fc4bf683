// Issue 16 item 10, reflection: answers that prove nothing about the requester (Binding, 401/438
// challenges, errors without MESSAGE-INTEGRITY) to UDP sources are budgeted per source prefix;
// authenticated answers, answers on an allocation's 5-tuple and stream transports never are.
// The limiter alone (PrefixLimiter, src/common) and through the core with a fake clock.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>

#include "core_harness.h"
#include "ferry/common/prefix_limiter.h"
#include "ferry/stun/attributes.h"
#include "ferry/stun/message.h"
#include "ferry/turn/dispatcher.h"
#include "turn_client_fake.h"

namespace ferry::turn {
namespace {

using testing::addr;
using testing::Reply;
using testing::TurnClient;

constexpr std::uint32_t kRate = 200;
constexpr std::uint32_t kBurst = 400;

Address v4(std::uint32_t ip, std::uint16_t port = 40000) {
  return Address::v4({static_cast<std::uint8_t>(ip >> 24), static_cast<std::uint8_t>(ip >> 16),
                      static_cast<std::uint8_t>(ip >> 8), static_cast<std::uint8_t>(ip)},
                     port);
}

// ---------------------------------------------------------------------------------------------
// The limiter alone.

class PrefixLimiterTest : public ::testing::Test {
 protected:
  // How many of `n` requests from `source` at `now` are allowed.
  int allowed(const Address& source, int n) {
    int ok = 0;
    for (int i = 0; i < n; ++i) ok += limiter.allow(source, now) ? 1 : 0;
    return ok;
  }
  PrefixLimiter limiter{kRate, kBurst};
  TimePoint now = TimePoint(Seconds(1000000));
};

TEST_F(PrefixLimiterTest, BurstThenRateWithTime) {
  const Address a = addr("198.51.100.7:40000");
  EXPECT_EQ(allowed(a, 1000), static_cast<int>(kBurst));
  now += Millis(4);
  EXPECT_EQ(allowed(a, 10), 0);  // 1 s / 200 = 5 ms per answer
  now += Millis(1);
  EXPECT_EQ(allowed(a, 10), 1);
  now += Seconds(1);
  EXPECT_EQ(allowed(a, 1000), static_cast<int>(kRate));
  now += Seconds(60);  // a long pause refills to the burst, not beyond
  EXPECT_EQ(allowed(a, 1000), static_cast<int>(kBurst));
}

TEST_F(PrefixLimiterTest, KeyedByIpv4Slash24AndIpv6Slash56) {
  EXPECT_EQ(allowed(addr("198.51.100.7:1"), 1000), static_cast<int>(kBurst));
  // Same /24, any host, any port: the same budget, spent.
  EXPECT_EQ(allowed(addr("198.51.100.250:2"), 10), 0);
  EXPECT_EQ(allowed(addr("[::ffff:198.51.100.9]:3"), 10), 0);  // IPv4-mapped is IPv4
  // The neighbouring /24 has its own.
  EXPECT_EQ(allowed(addr("198.51.101.7:1"), 10), 10);

  EXPECT_EQ(allowed(addr("[2001:db8:0:1200::1]:1"), 1000), static_cast<int>(kBurst));
  EXPECT_EQ(allowed(addr("[2001:db8:0:12ff:ffff::9]:1"), 10), 0);  // same /56
  EXPECT_EQ(allowed(addr("[2001:db8:0:1300::1]:1"), 10), 10);      // next /56
  EXPECT_NE(PrefixLimiter::prefix_key(addr("[::c633:6407]:1")),
            PrefixLimiter::prefix_key(addr("198.51.100.7:1")));  // IPv4-compatible is IPv6
}

TEST_F(PrefixLimiterTest, RateZeroIsOff) {
  PrefixLimiter off(0, 0);
  EXPECT_FALSE(off.enabled());
  EXPECT_EQ(off.memory_bytes(), 0u);
  for (int i = 0; i < 100000; ++i) ASSERT_TRUE(off.allow(addr("198.51.100.7:1"), now));
}

// 100,000 distinct sources: the table is the one allocated at construction (fixed capacity,
// nothing grows), and a drained victim stays drained however many strangers pass through.
TEST_F(PrefixLimiterTest, HundredThousandSourcesKeepTheTableFixed) {
  const std::size_t bytes = limiter.memory_bytes();
  EXPECT_GT(bytes, 0u);
  EXPECT_LE(bytes, 256u * 1024) << "per worker";
  const Address victim = addr("203.0.113.9:53");
  EXPECT_EQ(allowed(victim, 1000), static_cast<int>(kBurst));
  for (std::uint32_t i = 0; i < 100000; ++i) {
    (void)limiter.allow(v4(0x0A000000u + (i << 8)), now);  // 10.0.0.0/24, 10.0.1.0/24, ...
  }
  EXPECT_EQ(limiter.memory_bytes(), bytes);
  EXPECT_LE(limiter.occupied(), PrefixLimiter::kCapacity);
  EXPECT_EQ(allowed(victim, 10), 0) << "the strangers reset the victim's budget";
  // A prefix first seen while every way is busy is charged to its set's overflow bucket:
  // limited all the same.
  EXPECT_LE(allowed(addr("192.0.2.1:1"), 1000), static_cast<int>(kBurst));
}

// An attacker interleaving its victim with a stream of other prefixes (each taking a way when
// one is idle) over 10 s of fake time: the victim gets exactly its budget, burst + rate * 10 s.
TEST_F(PrefixLimiterTest, OtherPrefixesCannotEvictAVictimIntoAFreshBudget) {
  const Address victim = addr("203.0.113.9:53");
  int got = 0;
  std::uint32_t stranger = 0;
  for (int ms = 0; ms < 10000; ++ms) {
    got += limiter.allow(victim, now) ? 1 : 0;
    for (int k = 0; k < 20; ++k) (void)limiter.allow(v4(0x0B000000u + (++stranger << 8)), now);
    now += Millis(1);
  }
  const int budget = static_cast<int>(kBurst + kRate * 10);
  EXPECT_GE(got, budget - 1);
  EXPECT_LE(got, budget + 1);
}

// ---------------------------------------------------------------------------------------------
// Through the core.

class ReflectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::enable_turn(h);
    h.settings.unauthenticated_response_rate = kRate;
    h.settings.unauthenticated_response_burst = kBurst;
    h.start();
  }
  Bytes binding(std::uint8_t id = 1, std::uint16_t extra_attr = 0) {
    stun::TransactionId tid{id, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    stun::MessageBuilder b(buf_, stun::Method::kBinding, stun::Class::kRequest, tid);
    if (extra_attr != 0) {
      const std::array<std::uint8_t, 4> v{};
      b.add_raw(extra_attr, v);
    }
    return b.finish();
  }
  Bytes bare_request(std::uint16_t method) {
    stun::TransactionId tid{9, 9, 9, 9, 5, 6, 7, 8, 9, 10, 11, 12};
    stun::MessageBuilder b(buf_, method, stun::Class::kRequest, tid);
    if (method == static_cast<std::uint16_t>(stun::Method::kAllocate)) TurnClient::udp()(b);
    return b.finish();
  }
  // Sends `packet` from `n` source ports of `ip` (a spoofer varies them) and returns how many
  // answers went out.
  std::size_t flood(const char* ip, Bytes packet, int n, Transport t = Transport::kUdp) {
    const std::size_t before = h.egress.client.size();
    for (int i = 0; i < n; ++i) {
      FiveTuple tuple{*Address::parse_ip(ip, static_cast<std::uint16_t>(1024 + i)), server_, t};
      h.server->on_client_packet(tuple, packet, h.now);
    }
    return h.egress.client.size() - before;
  }
  const Counters& c() const { return h.server->counters(); }

  testing::CoreHarness h;
  Address server_ = addr("192.0.2.1:3478");
  std::array<std::uint8_t, 256> buf_{};
};

TEST_F(ReflectionTest, BindingFloodFromOneSpoofedPrefixIsAnsweredUpToTheBurst) {
  EXPECT_EQ(flood("198.51.100.7", binding(), 2000), kBurst);
  EXPECT_EQ(c().binding_requests.get(), 2000u);
  EXPECT_EQ(c().binding_responses.get(), kBurst);
  EXPECT_EQ(c().dropped_rate_limited.get(), 2000u - kBurst);
  // Another host of the same /24 shares the spent budget.
  EXPECT_EQ(flood("198.51.100.200", binding(), 10), 0u);
  // Refill with fake time: one second buys `rate` more.
  h.advance(Seconds(1));
  EXPECT_EQ(flood("198.51.100.7", binding(), 2000), kRate);
}

TEST_F(ReflectionTest, OtherPrefixesAreUnaffected) {
  EXPECT_EQ(flood("198.51.100.7", binding(), 2000), kBurst);
  EXPECT_EQ(flood("198.51.101.7", binding(), 50), 50u);
  EXPECT_EQ(flood("203.0.113.5", binding(), 50), 50u);
  EXPECT_EQ(flood("2001:db8::1", binding(), 50), 50u);
}

TEST_F(ReflectionTest, ChallengesAreLimitedLikewise) {
  const Bytes allocate = bare_request(static_cast<std::uint16_t>(stun::Method::kAllocate));
  EXPECT_EQ(flood("198.51.100.7", allocate, 1000), kBurst);
  EXPECT_EQ(c().errors_with_code(401), kBurst) << "only the 401s sent are counted as sent";
  EXPECT_EQ(c().dropped_rate_limited.get(), 1000u - kBurst);
  h.advance(Seconds(1));
  EXPECT_EQ(flood("198.51.100.7", allocate, 1000), kRate);
}

// One budget for every answer without MESSAGE-INTEGRITY: once Bindings have spent it, a 401,
// a 400 for a request with MESSAGE-INTEGRITY but no NONCE, a 400 for an unknown method and a
// 420 are dropped too.
TEST_F(ReflectionTest, EveryUnauthenticatedAnswerSharesTheBudget) {
  ASSERT_EQ(flood("198.51.100.7", binding(), kBurst), kBurst);
  const std::size_t before = h.egress.client.size();
  TurnClient spoofed{h, testing::udp_tuple("198.51.100.9:5000")};
  EXPECT_FALSE(spoofed.challenge().ok());  // 401
  TurnClient::Options no_nonce;
  no_nonce.send_nonce = false;
  EXPECT_FALSE(spoofed.request(stun::Method::kRefresh, {}, no_nonce).ok());  // 400
  EXPECT_EQ(flood("198.51.100.7", bare_request(0x00A), 5), 0u);              // Connect: 400
  EXPECT_EQ(flood("198.51.100.7", binding(1, 0x7FFE), 5), 0u);               // 420
  EXPECT_EQ(h.egress.client.size(), before);
  // And a 403 when TURN is off.
  h.settings.turn_enabled = false;
  h.start();
  ASSERT_EQ(flood("198.51.100.7", binding(), kBurst), kBurst);
  EXPECT_EQ(flood("198.51.100.7", bare_request(0x003), 5), 0u);
  EXPECT_EQ(c().errors_with_code(403), 0u);
}

// Answers carrying MESSAGE-INTEGRITY are never limited, nor is anything on an allocation's
// 5-tuple: its keepalive Bindings, its challenges (a stale nonce), its Allocate
// retransmissions.
TEST_F(ReflectionTest, AuthenticatedAnswersAndAllocationsAreNeverLimited) {
  h.settings.nonce_lifetime = Seconds(60);  // shorter than the allocation's 600 s
  h.start();
  TurnClient alice{h, testing::udp_tuple("198.51.100.7:40000")};
  TurnClient other{h, testing::udp_tuple("198.51.100.8:40000")};  // alice's credential too
  ASSERT_EQ(alice.challenge().error(), 401);                      // each learns REALM and its NONCE
  ASSERT_EQ(other.challenge().error(), 401);
  ASSERT_EQ(flood("198.51.100.7", binding(), 2000), kBurst - 2);  // then the prefix is drained
  // An authenticated request on a 5-tuple without an allocation: 437 with integrity.
  Reply no_allocation = other.refresh(600);
  EXPECT_EQ(no_allocation.error(), 437);
  EXPECT_TRUE(no_allocation.integrity_ok(other.key()));

  Reply r = alice.allocate();
  ASSERT_TRUE(r.success()) << r.error();
  EXPECT_TRUE(r.integrity_ok(alice.key()));
  // The same Allocate again (as if the answer was lost): the cached answer, over budget.
  TurnClient::Options again;
  again.tid = alice.last_tid();
  Reply replay = alice.request(stun::Method::kAllocate, TurnClient::udp(), again);
  EXPECT_TRUE(replay.success());
  EXPECT_EQ(replay.msg().transaction_id(), *again.tid);
  // Keepalive Bindings on the allocation's 5-tuple, far beyond the budget.
  for (int i = 0; i < 1000; ++i) {
    const std::size_t before = h.egress.client.size();
    h.server->on_client_packet(alice.tuple(), binding(), h.now);
    ASSERT_EQ(h.egress.client.size(), before + 1) << "keepalive " << i;
  }
  EXPECT_EQ(flood("198.51.100.7", binding(), 10), 0u) << "strangers are still limited";
  EXPECT_EQ(c().dropped_rate_limited.get(), 2000u - (kBurst - 2) + 10);
  // A stale nonce on the allocation's 5-tuple: its 438 goes out, then the retried Refresh
  // succeeds (the budget is drained again first).
  h.advance(Seconds(61));
  ASSERT_EQ(flood("198.51.100.7", binding(), 2000), kBurst);
  const std::uint64_t stale = c().auth_stale_nonce.get();
  EXPECT_TRUE(alice.refresh(600).success());
  EXPECT_EQ(c().auth_stale_nonce.get(), stale + 1);
}

TEST_F(ReflectionTest, TcpIsNeverLimited) {
  EXPECT_EQ(flood("198.51.100.7", binding(), 2000, Transport::kTcp), 2000u);
  EXPECT_EQ(flood("198.51.100.7", binding(), 2000, Transport::kTls), 2000u);
  EXPECT_EQ(c().dropped_rate_limited.get(), 0u);
  // And it does not spend the UDP budget.
  EXPECT_EQ(flood("198.51.100.7", binding(), 2000), kBurst);
}

TEST_F(ReflectionTest, RateZeroIsOff) {
  h.settings.unauthenticated_response_rate = 0;
  h.settings.unauthenticated_response_burst = 0;
  h.start();
  EXPECT_EQ(flood("198.51.100.7", binding(), 5000), 5000u);
  EXPECT_EQ(c().dropped_rate_limited.get(), 0u);
}

TEST_F(ReflectionTest, AHundredThousandSpoofedPrefixesLeaveAVictimLimited) {
  ASSERT_EQ(flood("203.0.113.9", binding(), 1000), kBurst);
  for (std::uint32_t i = 0; i < 100000; ++i) {
    FiveTuple t{v4(0x0A000000u + (i << 8)), server_, Transport::kUdp};
    h.server->on_client_packet(t, binding(), h.now);
  }
  EXPECT_EQ(flood("203.0.113.9", binding(), 10), 0u);
}

}  // namespace
}  // namespace ferry::turn
