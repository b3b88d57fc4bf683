// A worker's allocations and their lifetimes (RFC 8656 §2.2, §3): the table both packet paths
// look up, one expiry timer per allocation (TimerWheel), and what ending one gives back (its
// relay port, its quota, its place among the open relays) and counts. The dispatcher decides
// when an allocation starts and ends; this is where it happens. Dual allocations (§7.2: an
// IPv4 and an IPv6 relay) keep their second relay here too, beside the table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <unordered_map>

#include "allocation.h"
#include "allocation_table.h"
#include "ferry/common/address.h"
#include "ferry/common/time.h"
#include "ferry/turn/counters.h"
#include "ferry/turn/egress.h"
#include "ferry/turn/mobility.h"
#include "ferry/turn/quotas.h"
#include "ferry/turn/relay_registry.h"
#include "timer_wheel.h"

namespace ferry::turn {

class Allocations {
 public:
  struct Dependencies {
    RelayAllocator& relays;
    Quotas& quotas;
    RelayRegistry* open_relays;  // null in tests without relay-to-relay peers
    Counters& counters;
    Duration channel_rest;  // RFC 8656 §12: a channel rests this long after it expires
    // RFC 6062 §5.5: called as a TCP allocation ends (its peer connections close with it).
    std::function<void(Allocation&)> on_tcp_remove = {};
  };

  explicit Allocations(const Dependencies& deps) : deps_(deps) {}
  // Gives every relay port and quota back (the worker stops); nothing is counted as ended.
  ~Allocations();
  Allocations(const Allocations&) = delete;
  Allocations& operator=(const Allocations&) = delete;

  // The data path's lookups: by client 5-tuple and by relay.
  Allocation* find(const FiveTuple& t) { return table_.find(t); }
  const Allocation* find(const FiveTuple& t) const { return table_.find(t); }
  Allocation* by_relay(RelayId id) { return table_.by_relay(id); }
  // The allocation on `t` unless it has expired (then it is removed, whatever the timer's
  // timing, and the result is null).
  Allocation* current(const FiveTuple& t, TimePoint now);

  // A new allocation on `relay` until `expires`: counted, its timer set, its relay address
  // known to the other workers as an open relay. The caller fills in the rest.
  Allocation& insert(const FiveTuple& t, const Relay& relay, TimePoint expires);
  // Counts and gives back what the allocation held, then erases it.
  void remove(Allocation& a);

  // RFC 8016 mobility (mobility.cc). The live allocation at table position `index`, if any.
  Allocation* at(std::uint32_t index) { return table_.live(index); }
  // `a` is found by `t` from now on (a move within this worker).
  void retuple(Allocation& a, const FiveTuple& t) { table_.retuple(a, t); }
  // Takes `a` out of this worker without ending it: its table entries, timer and second-relay
  // record go; its relays (detached by the caller), quota units and open-relay marks stay with
  // it. Nothing is counted: the allocation goes on elsewhere.
  MovedAllocationPtr detach(Allocation& a);
  // Puts a moved allocation into this worker on `t`, on relays `first` (and `second` for a
  // dual one), its timer due at `now` (the first expire() finds its next deadline).
  Allocation& adopt(MovedAllocation& m, const FiveTuple& t, const Relay& first,
                    const std::optional<Relay>& second, TimePoint now);
  // A moved allocation that cannot be adopted on `t` ends here: its quota units (moved to
  // t's client) come back and it is counted as ended (its relays are the caller's to close).
  void abandon(MovedAllocation& m, const FiveTuple& t);

  // Makes `a` a dual allocation (RFC 8656 §7.2): `relay`, of the other family, beside its
  // first, reported to the client as `reported`, holding one more unit of total-quota (taken
  // by the caller, Quotas::acquire_relay); both families live until a.expires.
  void add_second(Allocation& a, const Relay& relay, const Address& reported);
  // A dual allocation's second relay; null for a single-family one.
  SecondRelay* second(const Allocation& a);
  // RFC 8656 §8.1-8.2: family `f` (every family `a` has: Family::kNone) lives until `until`.
  void refresh(Allocation& a, Family f, TimePoint until);
  // Ends family `f` of a dual allocation now (its lifetime passed, or a Refresh deleted it):
  // its relay and quota unit come back, its permissions and channels expire, and the
  // allocation goes on with the other family.
  void drop_family(Allocation& a, Family f, TimePoint now);
  // Makes sure the allocation's timer fires no later than `deadline`.
  void schedule(Allocation& a, TimePoint deadline);
  // Ends what has expired by `now`: allocations, permissions, channels (the cost is the
  // expiring allocations', not all of them).
  void expire(TimePoint now);

  std::size_t size() const { return table_.size(); }
  // Entries in the timer wheel (tests: bounded by the live allocations, not by churn).
  std::size_t timer_entries() const { return timers_.size(); }
  template <typename Fn>
  void for_each(Fn&& fn) {
    table_.for_each(fn);
  }

 private:
  void on_timer(Allocation& a, TimePoint now);
  // Closes and unregisters the relays of `a` (and gives back a second relay's quota unit).
  void release_relays(Allocation& a);
  void close_relay(const Relay& r);
  // A dual allocation loses the family whose lifetime has passed by `now`.
  void settle(Allocation& a, TimePoint now);
  // Counts the permissions and channels that Allocation::prune() drops.
  void prune(Allocation& a, TimePoint now);

  Dependencies deps_;
  AllocationTable table_;
  std::unordered_map<std::uint32_t, SecondRelay> seconds_;  // by Allocation::index
  TimerWheel timers_;
  std::uint64_t next_timer_stamp_ = 0;
  // Stale timer entries tolerated before a compaction, beyond twice the live allocations.
  static constexpr std::size_t kTimerSlack = 4096;
};

}  // namespace ferry::turn
