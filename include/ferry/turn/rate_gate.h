// A byte-rate limit as one time stamp: GCRA, the virtual-scheduling form of a token bucket
// (ITU-T I.371). Each packet of n bytes moves the "theoretical arrival time" on by
// n / rate; a packet passes while that time is at most one second ahead of now, so a second's
// worth of bytes may come in a burst. No clock: `now` is an argument (DESIGN.md convention 3).
#pragma once

#include <chrono>
#include <cstdint>

#include "ferry/common/time.h"

namespace ferry::turn {

struct RateGate {
  TimePoint tat{};

  // `bytes_per_second` > 0. True when `bytes` may pass now (and they are then accounted).
  bool pass(std::size_t bytes, std::uint64_t bytes_per_second, TimePoint now) {
    const TimePoint start = tat > now ? tat : now;
    if (start - now > kBurst) return false;
    // At most 65,535 * 10^9 before the division: no overflow in 64 bits.
    tat = start + std::chrono::duration_cast<Duration>(
                      std::chrono::nanoseconds(bytes * 1000000000ULL / bytes_per_second));
    return true;
  }

  static constexpr Seconds kBurst{1};
};

}  // namespace ferry::turn
