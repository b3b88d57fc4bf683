// Time is an argument (DESIGN.md convention 3): the codec and the core take `now` and never
// read a clock. Only net/ and app/ call Clock::now().
#pragma once

#include <chrono>
#include <cstdint>

namespace ferry {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;
using Seconds = std::chrono::seconds;
using Millis = std::chrono::milliseconds;

// Wall-clock time, for the few things that name a calendar moment (a TURN REST username carries
// its expiry in Unix seconds). The core is given one (net/ reads the system clock; unit tests a
// fixed value), never reads a clock itself.
class WallClock {
 public:
  virtual ~WallClock() = default;
  virtual std::int64_t unix_seconds() const = 0;
};

}  // namespace ferry
