// Bandwidth limits (issue 16 item 11, coturn's max-bps and bps-capacity): each direction of
// each allocation, and each worker's share of the server's capacity, is a byte rate with a
// one-second burst; what exceeds it is dropped and counted.
#include <gtest/gtest.h>

#include <vector>

#include "core_harness.h"
#include "ferry/turn/dispatcher.h"
#include "ferry/turn/rate_gate.h"
#include "turn_client_fake.h"

namespace ferry::turn {
namespace {

using testing::addr;
using testing::TurnClient;

const std::vector<std::uint8_t> kKilobyte(1000, 0x42);

TEST(RateGate, ASecondsWorthInABurstThenTheRate) {
  RateGate g;
  const TimePoint t0 = TimePoint(Seconds(100));
  int passed = 0;
  for (int i = 0; i < 100; ++i) passed += g.pass(1000, 10000, t0) ? 1 : 0;
  EXPECT_EQ(passed, 11);  // 10,000 bytes of burst, and the packet that crosses it
  EXPECT_FALSE(g.pass(1000, 10000, t0 + Millis(50)));
  passed = 0;
  for (int ms = 0; ms < 2000; ms += 10) {
    passed += g.pass(1000, 10000, t0 + Millis(100 + ms)) ? 1 : 0;
  }
  EXPECT_NEAR(passed, 20, 2);  // two seconds at 10 packets a second
}

class BandwidthTest : public ::testing::Test {
 protected:
  void start(std::uint64_t max_bps, std::uint64_t capacity = 0) {
    testing::enable_turn(h);
    h.settings.max_bps = max_bps;
    h.settings.worker_bps_capacity = capacity;
    h.start();
    for (TurnClient* c : {&alice, &bob}) {
      ASSERT_TRUE(c->allocate().success());
      ASSERT_TRUE(c->channel_bind(0x4000, peer).success());
    }
    h.egress.clear();
  }
  // Sends `n` 1,000-byte ChannelData from `c` at the same instant; returns how many left.
  std::size_t burst(TurnClient& c, int n) {
    h.egress.clear();
    for (int i = 0; i < n; ++i) c.channel_data(0x4000, kKilobyte);
    return h.egress.peer.size();
  }
  const Counters& counters() const { return h.server->counters(); }
  testing::CoreHarness h;
  TurnClient alice{h, testing::udp_tuple("198.51.100.7:40000")};
  TurnClient bob{h, testing::udp_tuple("198.51.100.8:40000"), "bob", "hunter2"};
  const Address peer = addr("203.0.113.5:7000");
};

TEST_F(BandwidthTest, MaxBpsLimitsEachAllocationAlone) {
  start(/*max_bps=*/20000);
  EXPECT_EQ(burst(alice, 100), 21u);
  EXPECT_EQ(counters().dropped_bandwidth.get(), 79u);
  EXPECT_EQ(burst(bob, 5), 5u) << "another allocation has its own budget";
  h.advance(Seconds(2));
  EXPECT_EQ(burst(alice, 100), 21u) << "the budget refills with time";
}

TEST_F(BandwidthTest, DirectionsAreLimitedSeparately) {
  start(/*max_bps=*/20000);
  EXPECT_EQ(burst(alice, 100), 21u);
  h.egress.clear();
  // Peer to client: alice's relay is relay 0 in the fake allocator.
  for (int i = 0; i < 100; ++i) h.server->on_peer_packet(0, peer, kKilobyte, h.now);
  EXPECT_EQ(h.egress.client.size(), 21u);
}

TEST_F(BandwidthTest, CapacityIsSharedByEveryAllocation) {
  start(/*max_bps=*/0, /*capacity=*/30000);
  EXPECT_EQ(burst(alice, 20), 20u);
  EXPECT_EQ(burst(bob, 20), 11u) << "bob gets what alice left of the worker's share";
}

TEST_F(BandwidthTest, WithoutLimitsNothingIsDropped) {
  start(0, 0);
  EXPECT_EQ(burst(alice, 1000), 1000u);
  EXPECT_EQ(counters().dropped_bandwidth.get(), 0u);
}

}  // namespace
}  // namespace ferry::turn
