// A worker's allocations, indexed by client 5-tuple (client packets) and by relay id (peer
// packets). The data path does one lookup per packet here, so it is built for that (DESIGN.md
// section 2, "flat hash tables"):
//
// - allocations live in fixed-size chunks (stable addresses, no per-allocation heap block),
//   referred to by a 32-bit index;
// - the 5-tuple index is open addressing with linear probing over 8-byte slots (a 32-bit hash
//   tag and the index), so a lookup touches one slot line and then the allocation itself;
//   deletion shifts entries back (no tombstones, so probe lengths do not grow with churn);
// - the relay index is a plain array: relay ids are small and dense (RelayPool reuses them).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "allocation.h"
#include "ferry/common/address.h"

namespace ferry::turn {

class AllocationTable {
 public:
  static constexpr std::uint32_t kNone = 0xFFFFFFFF;

  AllocationTable();
  ~AllocationTable();
  AllocationTable(const AllocationTable&) = delete;
  AllocationTable& operator=(const AllocationTable&) = delete;

  Allocation* find(const FiveTuple& t) {
    std::uint32_t i = find_index(t);
    return i == kNone ? nullptr : &at(i);
  }
  const Allocation* find(const FiveTuple& t) const {
    std::uint32_t i = find_index(t);
    return i == kNone ? nullptr : &at(i);
  }
  Allocation* by_relay(RelayId id) {
    if (id >= relay_index_.size() || relay_index_[id] == kNone) return nullptr;
    return &at(relay_index_[id]);
  }
  // The live allocation at `index`, if any (timer entries refer to allocations by index).
  Allocation* live(std::uint32_t index) {
    if (index >= used_.size() || !used_[index]) return nullptr;
    return &at(index);
  }

  // A new, default-initialised allocation for `t` on relay `relay` (neither indexed yet).
  Allocation& insert(const FiveTuple& t, RelayId relay);
  // RFC 8016 mobility: `a` is found by `t` from now on, no longer by its old 5-tuple.
  void retuple(Allocation& a, const FiveTuple& t);
  // Erases `a` and its index entries (its second relay's too).
  void erase(Allocation& a);
  // by_relay(relay) finds `a` too, or no longer (a dual allocation's second relay, RFC 8656
  // §7.2: peer datagrams arrive on either).
  void index_relay(RelayId relay, const Allocation& a);
  void unindex_relay(RelayId relay, const Allocation& a);

  std::size_t size() const { return size_; }

  template <typename Fn>
  void for_each(Fn&& fn) {
    for (std::uint32_t i = 0; i < used_.size(); ++i) {
      if (used_[i]) fn(at(i));
    }
  }

 private:
  static constexpr std::size_t kChunk = 64;
  using Chunk = std::array<std::optional<Allocation>, kChunk>;
  struct Slot {
    std::uint32_t tag = 0;        // the 5-tuple's hash (its low bits pick the home slot)
    std::uint32_t index = kNone;  // kNone: empty
  };

  Allocation& at(std::uint32_t i) { return *(*chunks_[i / kChunk])[i % kChunk]; }
  const Allocation& at(std::uint32_t i) const { return *(*chunks_[i / kChunk])[i % kChunk]; }
  static std::uint32_t tag_of(const FiveTuple& t) {
    auto h = static_cast<std::uint64_t>(t.hash());
    return static_cast<std::uint32_t>(h ^ (h >> 32));
  }
  std::uint32_t find_index(const FiveTuple& t) const;
  void place(Slot s);
  // Takes `a`'s 5-tuple slot out (backward-shift deletion).
  void unplace(const Allocation& a);
  void rehash(std::size_t capacity);

  std::vector<std::unique_ptr<Chunk>> chunks_;
  std::vector<bool> used_;
  std::vector<std::uint32_t> free_;
  std::vector<Slot> slots_;  // power-of-two size, at most half full
  std::vector<std::uint32_t> relay_index_;
  std::size_t size_ = 0;
};

}  // namespace ferry::turn
