// An open-addressing hash index over the positions of a list's elements: the list stays the
// storage, this only finds where an element is. Used when an allocation has many permissions
// or channels (an SFU or media server behind TURN talks to many peers) so that the data path
// stays O(1); short lists, the common case, are scanned in place and have no index at all.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ferry::turn {

class PositionTable {
 public:
  static constexpr std::size_t kNotFound = ~std::size_t{0};

  // Indexes positions 0..n-1; hash_of(i) is the hash of element i's key.
  template <typename HashOf>
  void rebuild(std::size_t n, HashOf hash_of) {
    std::size_t capacity = 16;
    while (capacity < 2 * n) capacity *= 2;  // at most half full: short probe runs
    slots_.assign(capacity, 0);
    const std::size_t mask = capacity - 1;
    for (std::size_t i = 0; i < n; ++i) {
      std::size_t s = static_cast<std::size_t>(hash_of(i)) & mask;
      while (slots_[s] != 0) s = (s + 1) & mask;
      slots_[s] = static_cast<std::uint32_t>(i + 1);
    }
  }
  void clear() { slots_.clear(); }
  bool built() const { return !slots_.empty(); }

  // The position whose element matches (matches(i) compares the keys), or kNotFound.
  template <typename Matches>
  std::size_t find(std::uint64_t hash, Matches matches) const {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t s = static_cast<std::size_t>(hash) & mask; slots_[s] != 0;
         s = (s + 1) & mask) {
      const std::size_t i = slots_[s] - 1;
      if (matches(i)) return i;
    }
    return kNotFound;
  }

 private:
  std::vector<std::uint32_t> slots_;  // position + 1; 0 is empty
};

}  // namespace ferry::turn
