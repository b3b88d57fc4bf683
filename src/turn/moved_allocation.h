// An allocation between two workers (RFC 8016 mobility, include/ferry/turn/mobility.h): its
// state as it was in the owner's table, its second relay, and its relays' handles.
#pragma once

#include <array>
#include <optional>

#include "allocation.h"
#include "ferry/turn/mobility.h"

namespace ferry::turn {

class MovedAllocation {
 public:
  Allocation allocation;
  std::optional<SecondRelay> second;
  std::array<MovedRelay, 2> relays{};  // [0]: the first relay, [1]: a dual allocation's second
  std::size_t relay_count = 0;
};

}  // namespace ferry::turn
