// Time is an argument (DESIGN.md convention 3): the codec and the core take `now` and never
// read a clock. Only net/ and app/ call Clock::now().
#pragma once

#include <chrono>

namespace ferry {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;
using Seconds = std::chrono::seconds;
using Millis = std::chrono::milliseconds;

}  // namespace ferry
