// Rate limit for a repeated event's log line (issue 16 item 3: a failing accept() once wrote
// 89 MB of log in 4 s). Time is an argument (DESIGN.md convention 3).
#pragma once

#include <cstdint>

#include "ferry/common/time.h"

namespace ferry {

class RepeatLimiter {
 public:
  explicit RepeatLimiter(Duration interval) : interval_(interval) {}
  // True at most once per interval; `suppressed` is then how many calls were refused since
  // the last true (to say "and N more" in the line that is written).
  bool allow(TimePoint now, std::uint64_t* suppressed) {
    if (armed_ && now - last_ < interval_) {
      ++suppressed_;
      return false;
    }
    armed_ = true;
    last_ = now;
    *suppressed = suppressed_;
    suppressed_ = 0;
    return true;
  }

 private:
  Duration interval_;
  TimePoint last_{};
  bool armed_ = false;
  std::uint64_t suppressed_ = 0;
};

}  // namespace ferry
