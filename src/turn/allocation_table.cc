#include "allocation_table.h"

namespace ferry::turn {

namespace {
constexpr std::size_t kInitialSlots = 64;
}

AllocationTable::AllocationTable() : slots_(kInitialSlots) {}
AllocationTable::~AllocationTable() = default;

std::uint32_t AllocationTable::find_index(const FiveTuple& t) const {
  const std::uint32_t tag = tag_of(t);
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = tag & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.index == kNone) return kNone;
    if (s.tag == tag && at(s.index).tuple == t) return s.index;
  }
}

void AllocationTable::place(Slot s) {
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = s.tag & mask;
  while (slots_[i].index != kNone) i = (i + 1) & mask;
  slots_[i] = s;
}

void AllocationTable::rehash(std::size_t capacity) {
  std::vector<Slot> old(capacity);
  old.swap(slots_);
  for (const Slot& s : old) {
    if (s.index != kNone) place(s);
  }
}

Allocation& AllocationTable::insert(const FiveTuple& t, RelayId relay) {
  std::uint32_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
  } else {
    index = static_cast<std::uint32_t>(used_.size());
    if (index % kChunk == 0) chunks_.push_back(std::make_unique<Chunk>());
    used_.push_back(false);
  }
  auto& cell = (*chunks_[index / kChunk])[index % kChunk];
  cell.emplace();
  Allocation& a = *cell;
  a.tuple = t;
  a.relay.id = relay;
  a.index = index;
  used_[index] = true;

  if (2 * (size_ + 1) > slots_.size()) rehash(slots_.size() * 2);
  place({tag_of(t), index});
  index_relay(relay, a);
  ++size_;
  return a;
}

void AllocationTable::index_relay(RelayId relay, const Allocation& a) {
  if (relay >= relay_index_.size()) relay_index_.resize(relay + 1, kNone);
  relay_index_[relay] = a.index;
}

void AllocationTable::unindex_relay(RelayId relay, const Allocation& a) {
  if (relay < relay_index_.size() && relay_index_[relay] == a.index) relay_index_[relay] = kNone;
}

void AllocationTable::retuple(Allocation& a, const FiveTuple& t) {
  unplace(a);
  a.tuple = t;
  place({tag_of(t), a.index});
}

void AllocationTable::erase(Allocation& a) {
  const std::uint32_t index = a.index;
  unplace(a);
  unindex_relay(a.relay.id, a);
  if (a.dual()) unindex_relay(a.second_relay, a);
  used_[index] = false;
  (*chunks_[index / kChunk])[index % kChunk].reset();  // `a` is gone from here on
  free_.push_back(index);
  --size_;
}

void AllocationTable::unplace(const Allocation& a) {
  const std::uint32_t index = a.index;
  const std::uint32_t tag = tag_of(a.tuple);
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = tag & mask;
  while (slots_[i].index != index) i = (i + 1) & mask;
  // Backward-shift deletion (linear probing): pull later entries of the run into the hole
  // when their home slot does not lie cyclically in (hole, their position].
  std::size_t hole = i;
  for (std::size_t j = (hole + 1) & mask; slots_[j].index != kNone; j = (j + 1) & mask) {
    std::size_t home = slots_[j].tag & mask;
    bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (!stays) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = Slot{};
}

}  // namespace ferry::turn
