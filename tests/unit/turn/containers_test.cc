// The core's own containers: the allocation table (flat 5-tuple index, relay index), the
// timer wheel and the inline small vector. Checked against std containers on random
// workloads, since their bugs (a lost entry after a backward shift, a timer fired late or
// never) show only under churn.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <unordered_map>

#include "allocation_table.h"
#include "small_vector.h"
#include "timer_wheel.h"

namespace ferry::turn {
namespace {

FiveTuple tuple_for(std::uint32_t n) {
  auto client = Address::v4({10, static_cast<std::uint8_t>(n >> 16),
                             static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)},
                            static_cast<std::uint16_t>(1024 + n % 50000));
  return {client, Address::v4({192, 0, 2, 1}, 3478), Transport::kUdp};
}

TEST(AllocationTable, RandomInsertEraseMatchesAReferenceMap) {
  AllocationTable table;
  std::unordered_map<std::uint32_t, RelayId> reference;  // tuple number -> relay
  std::mt19937 rng(7);
  RelayId next_relay = 0;
  std::vector<RelayId> free_relays;
  for (int step = 0; step < 20000; ++step) {
    std::uint32_t n = rng() % 3000;
    auto it = reference.find(n);
    if (it == reference.end()) {
      RelayId r = next_relay;
      if (!free_relays.empty()) {
        r = free_relays.back();
        free_relays.pop_back();
      } else {
        ++next_relay;
      }
      Allocation& a = table.insert(tuple_for(n), r);
      EXPECT_EQ(a.tuple, tuple_for(n));
      reference[n] = r;
    } else {
      Allocation* a = table.find(tuple_for(n));
      ASSERT_NE(a, nullptr);
      free_relays.push_back(a->relay.id);
      table.erase(*a);
      reference.erase(it);
    }
    if (step % 1000 == 999) {
      ASSERT_EQ(table.size(), reference.size());
      for (std::uint32_t k = 0; k < 3000; ++k) {
        Allocation* a = table.find(tuple_for(k));
        auto r = reference.find(k);
        ASSERT_EQ(a != nullptr, r != reference.end()) << "tuple " << k << " at step " << step;
        if (a != nullptr) {
          EXPECT_EQ(a->relay.id, r->second);
          EXPECT_EQ(table.by_relay(r->second), a);
          EXPECT_EQ(table.live(a->index), a);
        }
      }
    }
  }
}

TEST(AllocationTable, AddressesStayPutWhileTheTableGrows) {
  AllocationTable table;
  Allocation& first = table.insert(tuple_for(0), 0);
  first.username = "alice";
  for (std::uint32_t n = 1; n < 5000; ++n) table.insert(tuple_for(n), n);
  EXPECT_EQ(table.find(tuple_for(0)), &first);
  EXPECT_EQ(first.username, "alice");
  EXPECT_EQ(table.by_relay(4999), table.find(tuple_for(4999)));
  EXPECT_EQ(table.by_relay(5000), nullptr);
}

TEST(AllocationTable, AnErasedSlotIsReusedAndItsRelayForgotten) {
  AllocationTable table;
  Allocation& a = table.insert(tuple_for(1), 3);
  std::uint32_t index = a.index;
  table.erase(a);
  EXPECT_EQ(table.find(tuple_for(1)), nullptr);
  EXPECT_EQ(table.by_relay(3), nullptr);
  EXPECT_EQ(table.live(index), nullptr);
  Allocation& b = table.insert(tuple_for(2), 4);
  EXPECT_EQ(b.index, index);
  EXPECT_TRUE(b.username.empty());  // a fresh allocation, nothing left of the old one
  EXPECT_EQ(table.size(), 1u);
}

TimePoint at(double seconds) {
  return TimePoint{} +
         std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1000 + seconds));
}

TEST(TimerWheel, FiresEachEntryOnceNoEarlierThanItsDeadline) {
  TimerWheel wheel;
  std::mt19937 rng(11);
  std::map<std::uint32_t, double> deadlines;
  for (std::uint32_t i = 0; i < 2000; ++i) {
    double d = (rng() % 4000000) / 1000.0;  // up to 4,000 s: several turns of the wheel
    deadlines[i] = d;
    wheel.schedule(i, i, at(d));
  }
  std::set<std::uint32_t> fired;
  for (double now = 0; now <= 4001; now += 0.25) {
    wheel.advance(at(now), [&](const TimerWheel::Entry& e) {
      EXPECT_TRUE(fired.insert(e.owner).second) << "fired twice: " << e.owner;
      EXPECT_LE(deadlines[e.owner], now) << "early: " << e.owner;
      EXPECT_GT(deadlines[e.owner], now - 0.25) << "late: " << e.owner;
    });
  }
  EXPECT_EQ(fired.size(), deadlines.size());
  EXPECT_EQ(wheel.size(), 0u);
}

TEST(TimerWheel, AClockJumpOfManyTurnsFiresEverythingDue) {
  TimerWheel wheel;
  wheel.schedule(1, 1, at(10));
  wheel.schedule(2, 2, at(5000));
  wheel.schedule(3, 3, at(90000));
  std::vector<std::uint32_t> fired;
  wheel.advance(at(20000), [&](const TimerWheel::Entry& e) { fired.push_back(e.owner); });
  std::sort(fired.begin(), fired.end());
  EXPECT_EQ(fired, (std::vector<std::uint32_t>{1, 2}));
  wheel.advance(at(90000), [&](const TimerWheel::Entry& e) { fired.push_back(e.owner); });
  EXPECT_EQ(fired.size(), 3u);
}

TEST(TimerWheel, WhatAFiringSchedulesWaitsForItsOwnDeadline) {
  TimerWheel wheel;
  wheel.schedule(1, 1, at(1));
  int fires = 0;
  auto fire = [&](const TimerWheel::Entry& e) {
    ++fires;
    if (fires < 3) wheel.schedule(e.owner, e.stamp + 1, at(1 + fires * 0.5));
  };
  wheel.advance(at(1), fire);
  EXPECT_EQ(fires, 1);  // the rescheduled entry (1.5 s) is not due at 1 s
  wheel.advance(at(1.4), fire);
  EXPECT_EQ(fires, 1);
  wheel.advance(at(1.5), fire);
  EXPECT_EQ(fires, 2);
  wheel.advance(at(2.0), fire);
  EXPECT_EQ(fires, 3);
}

TEST(TimerWheel, ADeadlineAlreadyPastFiresOnTheNextAdvance) {
  TimerWheel wheel;
  wheel.schedule(1, 1, at(100));
  wheel.advance(at(50), [](const TimerWheel::Entry&) {});
  wheel.schedule(2, 2, at(10));  // before the wheel's position
  std::vector<std::uint32_t> fired;
  wheel.advance(at(50.5), [&](const TimerWheel::Entry& e) { fired.push_back(e.owner); });
  EXPECT_EQ(fired, (std::vector<std::uint32_t>{2}));
}

// The soak test's finding: entries of deleted owners stayed until their deadline and each
// slot kept the largest buffer it ever had. compact() drops the dead, and buffers go back.
TEST(TimerWheel, CompactDropsDeadEntriesAndGivesMemoryBack) {
  TimerWheel wheel;
  for (std::uint32_t i = 0; i < 100000; ++i) wheel.schedule(i, 1, at(10 + (i % 600)));
  EXPECT_EQ(wheel.size(), 100000u);
  const std::size_t full = wheel.capacity();
  wheel.compact([](const TimerWheel::Entry& e) { return e.owner % 100 == 0; });
  EXPECT_EQ(wheel.size(), 1000u);
  EXPECT_LT(wheel.capacity(), full / 4);
  std::size_t fired = 0;
  wheel.advance(at(700), [&](const TimerWheel::Entry& e) {
    EXPECT_EQ(e.owner % 100, 0u);
    ++fired;
  });
  EXPECT_EQ(fired, 1000u);
  EXPECT_LT(wheel.capacity(), 1024u * 64 + 1024) << "busy slots keep their buffers";
}

TEST(SmallVector, StaysInlineThenSpillsKeepingOrder) {
  SmallVector<int, 2> v;
  const int* inline_storage = nullptr;
  for (int i = 0; i < 100; ++i) {
    v.push_back(i);
    if (i == 0) inline_storage = v.begin();
    if (i == 1) {
      EXPECT_EQ(v.begin(), inline_storage);  // still inside the object
    }
  }
  ASSERT_EQ(v.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(v[static_cast<std::size_t>(i)], i);
  EXPECT_EQ(v.erase_if([](int x) { return x % 3 != 0; }), 66u);
  ASSERT_EQ(v.size(), 34u);
  for (std::size_t i = 0; i < v.size(); ++i) EXPECT_EQ(v[i], static_cast<int>(3 * i));
  v.erase_if([](int) { return true; });
  EXPECT_TRUE(v.empty());
}

}  // namespace
}  // namespace ferry::turn
