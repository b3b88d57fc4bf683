// Allocation quotas (issue 16 item 6): per user, per client address and in total; what is given
// back leaves no entry behind.
#include "ferry/turn/quotas.h"

#include <gtest/gtest.h>

#include "core_harness.h"
#include "ferry/turn/dispatcher.h"
#include "turn_client_fake.h"

namespace ferry::turn {
namespace {

Address ip(const char* text, std::uint16_t port) {
  return *Address::parse_ip(text, port);
}

TEST(Quotas, PerClientAddressWhateverThePort) {
  Quotas q(0, 0, 2);
  EXPECT_TRUE(q.acquire("a", ip("198.51.100.1", 1000)));
  EXPECT_TRUE(q.acquire("b", ip("198.51.100.1", 1001)));
  EXPECT_FALSE(q.acquire("c", ip("198.51.100.1", 1002))) << "a third from one address";
  EXPECT_TRUE(q.acquire("c", ip("198.51.100.2", 1002)));
  q.release("a", ip("198.51.100.1", 1000));
  EXPECT_TRUE(q.acquire("c", ip("198.51.100.1", 1003)));
  EXPECT_EQ(q.total(), 3u);
}

TEST(Quotas, UserAndTotalStillApply) {
  Quotas q(1, 2, 0);
  EXPECT_TRUE(q.acquire("a", ip("198.51.100.1", 1)));
  EXPECT_FALSE(q.acquire("a", ip("198.51.100.2", 1)));
  EXPECT_TRUE(q.acquire("b", ip("198.51.100.3", 1)));
  EXPECT_FALSE(q.acquire("c", ip("198.51.100.4", 1))) << "over total-quota";
}

TEST(Quotas, ReleasedAddressesLeaveNoEntry) {
  Quotas q(0, 0, 1);
  for (int i = 0; i < 1000; ++i) {
    Address a = *Address::parse_ip("2001:db8::1", 1);
    auto raw = a.raw();
    raw[15] = static_cast<std::uint8_t>(i);
    raw[14] = static_cast<std::uint8_t>(i >> 8);
    Address each = Address::from_bytes(Bytes(raw.data(), 16), 1);
    ASSERT_TRUE(q.acquire("u", each));
    q.release("u", each);
  }
  EXPECT_EQ(q.total(), 0u);
  EXPECT_TRUE(q.per_user().empty());
  // The same address again: its count went back to zero, not stuck at the bound.
  EXPECT_TRUE(q.acquire("u", ip("198.51.100.9", 1)));
}

// One host may use every address of its IPv6 /64: counted one by one, a per-client bound
// would be none (review finding 6).
TEST(Quotas, AnIpv6Slash64IsOneClient) {
  Quotas q(0, 0, 2);
  EXPECT_TRUE(q.acquire("a", ip("2001:db8:1:2::1", 1)));
  EXPECT_TRUE(q.acquire("a", ip("2001:db8:1:2:ffff::9", 1)));
  EXPECT_FALSE(q.acquire("a", ip("2001:db8:1:2:1234:5678:9abc:def0", 1)));
  EXPECT_TRUE(q.acquire("a", ip("2001:db8:1:3::1", 1)));  // the next /64
  q.release("a", ip("2001:db8:1:2::1", 1));
  EXPECT_TRUE(q.acquire("a", ip("2001:db8:1:2::77", 1)));
}

// A client that allocates and deletes in a loop (the soak test's million cycles) must leave
// the server holding what the live allocations need, not an entry per cycle.
TEST(Churn, AllocateAndDeleteInALoopLeavesNothingBehind) {
  testing::CoreHarness h;
  testing::enable_turn(h);
  h.start();
  for (int i = 0; i < 20000; ++i) {
    testing::TurnClient c{
        h, testing::udp_tuple(("198.51.100.9:" + std::to_string(1024 + i % 60000)).c_str())};
    ASSERT_TRUE(c.allocate().success()) << i;
    ASSERT_TRUE(c.create_permission({testing::addr("203.0.113.5:9")}).success());
    ASSERT_TRUE(c.refresh(0).success());
    if (i % 50 == 49) {  // 50 cycles a simulated second
      h.advance(Seconds(1));
      h.server->expire(h.now);
    }
  }
  EXPECT_EQ(h.server->allocation_count(), 0u);
  EXPECT_LE(h.server->timer_entries(), 4096u + 200u) << "an entry per deleted allocation";
  EXPECT_EQ(h.quotas.total(), 0u);
  EXPECT_EQ(h.relays.open_count, 0u);
}

}  // namespace
}  // namespace ferry::turn
