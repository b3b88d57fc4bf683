// A coarse hashed timer wheel (one-second slots) for a worker's allocations (DESIGN.md
// section 2): each allocation has one entry, due at its earliest deadline (its own expiry, a
// permission's, a channel's). Advancing the clock visits only the slots that passed and the
// entries in them, instead of sweeping every allocation every second.
//
// Entries are not removed one by one: an entry carries the stamp its owner had when it was
// scheduled, and the owner checks it when the entry fires (a deleted owner, or one rescheduled
// since, ignores it). Deadlines that move later need no entry at all: the old one fires early
// and the owner schedules its next deadline then. Stale entries are dropped in bulk by
// compact(), which the owner calls when they outnumber the live ones, and slot buffers are
// given back after a busy second: a client that allocates and deletes in a loop must not make
// the wheel hold an entry per deletion for a whole lifetime (the soak test measured 54 bytes
// per cycle, never returned, before).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "ferry/common/time.h"

namespace ferry::turn {

class TimerWheel {
 public:
  struct Entry {
    std::uint64_t stamp = 0;  // the owner's stamp when scheduled
    std::uint32_t owner = 0;  // the owner's index
    std::int64_t due = 0;     // the deadline, in ticks of the clock
  };

  // Schedules `owner` (with its current `stamp`) for `deadline`.
  void schedule(std::uint32_t owner, std::uint64_t stamp, TimePoint deadline) {
    std::int64_t second = floor_seconds(deadline);
    // Until the first advance, the wheel starts at the earliest deadline it holds.
    if (!started_ && (next_ == kUnset || second < next_)) next_ = second;
    // Already past: the next advance fires it.
    std::int64_t slot = second < next_ ? next_ : second;
    slots_[index(slot)].push_back({stamp, owner, deadline.time_since_epoch().count()});
    ++size_;
  }

  // Calls fire(entry) for every entry due at or before `now`. `fire` may schedule.
  template <typename Fire>
  void advance(TimePoint now, Fire&& fire) {
    if (next_ == kUnset) return;
    const std::int64_t now_s = floor_seconds(now);
    const std::int64_t now_ticks = now.time_since_epoch().count();
    if (now_s < next_) return;
    started_ = true;
    // A clock that jumped a whole turn or more visits every slot once.
    const std::int64_t last = now_s - next_ >= static_cast<std::int64_t>(kSlots)
                                  ? next_ + static_cast<std::int64_t>(kSlots) - 1
                                  : now_s;
    const std::int64_t first = next_;
    // The current second is visited again next time: entries later in it are not due yet.
    // Set before firing, so what fire() schedules lands in a slot still to come.
    next_ = now_s;
    for (std::int64_t s = first; s <= last; ++s) {
      auto& slot = slots_[index(s)];
      if (slot.empty()) continue;
      scratch_.swap(slot);
      for (const Entry& e : scratch_) {
        if (e.due <= now_ticks) {
          --size_;
          fire(e);
        } else {
          slots_[index(s)].push_back(e);  // later in this second, or a later turn
        }
      }
      scratch_.clear();
      release_spare(scratch_);
      release_spare(slots_[index(s)]);
    }
  }

  // Drops every entry for which live(entry) is false; O(entries), so call it when the dead
  // ones outnumber the live ones (amortised O(1) per dead entry). Not from inside advance().
  template <typename Live>
  void compact(Live&& live) {
    size_ = 0;
    for (auto& slot : slots_) {
      std::erase_if(slot, [&](const Entry& e) { return !live(e); });
      release_spare(slot);
      size_ += slot.size();
    }
  }

  std::size_t size() const { return size_; }
  // Entries the slots could hold without allocating (tests: memory is given back).
  std::size_t capacity() const {
    std::size_t c = scratch_.capacity();
    for (const auto& slot : slots_) c += slot.capacity();
    return c;
  }

 private:
  // 2^10 one-second slots: a turn is 17 minutes; longer deadlines (allocations up to an hour)
  // wait in their slot for a few turns.
  static constexpr std::size_t kSlots = 1024;
  static constexpr std::int64_t kUnset = std::numeric_limits<std::int64_t>::min();
  // A slot keeps a buffer of this many entries at most beyond what it holds (1.5 KB).
  static constexpr std::size_t kSpare = 64;

  static void release_spare(std::vector<Entry>& v) {
    if (v.capacity() > kSpare && v.capacity() > 2 * v.size()) {
      if (v.empty()) {
        std::vector<Entry>().swap(v);
      } else {
        v.shrink_to_fit();
      }
    }
  }

  static std::size_t index(std::int64_t s) {
    return static_cast<std::size_t>(static_cast<std::uint64_t>(s) & (kSlots - 1));
  }
  static std::int64_t floor_seconds(TimePoint t) {
    return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
  }

  std::array<std::vector<Entry>, kSlots> slots_;
  std::vector<Entry> scratch_;
  std::int64_t next_ = kUnset;  // the first second advance() visits
  bool started_ = false;
  std::size_t size_ = 0;
};

}  // namespace ferry::turn
