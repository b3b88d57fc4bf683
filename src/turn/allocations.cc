// Allocation lifetimes: insertion, removal, the expiry timers.
#include "allocations.h"

#include "moved_allocation.h"

#include <algorithm>

namespace ferry::turn {

Allocations::~Allocations() {
  table_.for_each([this](Allocation& a) {
    release_relays(a);
    deps_.quotas.release(a.username, a.tuple.client, a.realm);
  });
}

Allocation* Allocations::current(const FiveTuple& t, TimePoint now) {
  Allocation* a = table_.find(t);
  if (a != nullptr && a->expires <= now) {
    remove(*a);
    return nullptr;
  }
  if (a != nullptr && a->dual()) settle(*a, now);
  return a;
}

void Allocations::close_relay(const Relay& r) {
  deps_.relays.close(r.id);
  if (deps_.open_relays != nullptr) deps_.open_relays->remove(r.address);
}

void Allocations::release_relays(Allocation& a) {
  close_relay(a.relay);
  if (SecondRelay* s = second(a)) {
    close_relay(s->relay);
    deps_.quotas.release_relay();
    seconds_.erase(a.index);  // a.second_relay stays until the table entry goes
  }
}

Allocation& Allocations::insert(const FiveTuple& t, const Relay& relay, TimePoint expires) {
  Allocation& a = table_.insert(t, relay.id);
  a.relay = relay;
  a.expires = expires;
  schedule(a, expires);
  if (deps_.open_relays != nullptr) deps_.open_relays->add(relay.address);
  a.counted_v6 = relay.address.is_v6();
  ++deps_.counters.allocations_created[allocation_slot(t.transport, a.counted_v6)];
  return a;
}

void Allocations::remove(Allocation& a) {
  // Everything the allocation held comes back: its ports, its quota, its table entries (its
  // timer entry is left to lapse: it no longer matches a live allocation).
  if (a.tcp && deps_.on_tcp_remove) deps_.on_tcp_remove(a);
  release_relays(a);
  deps_.quotas.release(a.username, a.tuple.client, a.realm);
  Counters& c = deps_.counters;
  c.permissions_ended.add(a.permissions.size());
  c.channels_ended.add(a.channels.size());
  ++c.allocations_ended[allocation_slot(a.tuple.transport, a.counted_v6)];
  table_.erase(a);
}

void Allocations::add_second(Allocation& a, const Relay& relay, const Address& reported) {
  table_.index_relay(relay.id, a);  // peer datagrams on it find the allocation
  a.second_relay = relay.id;
  seconds_[a.index] = SecondRelay{relay, reported, a.expires, a.expires};
  if (deps_.open_relays != nullptr) deps_.open_relays->add(relay.address);
}

SecondRelay* Allocations::second(const Allocation& a) {
  if (!a.dual()) return nullptr;
  auto it = seconds_.find(a.index);
  return it == seconds_.end() ? nullptr : &it->second;
}

void Allocations::refresh(Allocation& a, Family f, TimePoint until) {
  SecondRelay* s = second(a);
  if (s == nullptr) {
    a.expires = until;
    schedule(a, until);  // a shorter lifetime needs an earlier timer
    return;
  }
  if (f == Family::kNone || f == a.relay.address.family()) s->first_expires = until;
  if (f == Family::kNone || f == s->relay.address.family()) s->expires = until;
  a.expires = std::max(s->first_expires, s->expires);
  schedule(a, std::min(s->first_expires, s->expires));
}

void Allocations::drop_family(Allocation& a, Family f, TimePoint now) {
  SecondRelay* s = second(a);
  if (s == nullptr || !a.serves(f)) return;
  const bool first = a.relay.address.family() == f;
  const Relay gone = first ? a.relay : s->relay;
  close_relay(gone);
  table_.unindex_relay(gone.id, a);
  deps_.quotas.release_relay();
  if (first) {
    // The allocation goes on with the other family's relay in the first place.
    a.relay = s->relay;
    a.reported = s->reported;
    a.expires = s->expires;
  } else {
    a.expires = s->first_expires;
  }
  a.second_relay = kNoRelay;
  seconds_.erase(a.index);
  // A peer is reached through the relay of its family, so what was granted for the family
  // that is gone ends with its relay; its channels rest as any expired channel does (§12).
  for (Permission& p : a.permissions) {
    if (p.ip.family() == f) p.expires = std::min(p.expires, now);
  }
  for (Channel& c : a.channels) {
    if (c.peer.family() == f) c.expires = std::min(c.expires, now);
  }
  schedule(a, now);  // the next expire() prunes them
}

void Allocations::settle(Allocation& a, TimePoint now) {
  const SecondRelay* s = second(a);
  if (s == nullptr) return;
  // a.expires is the later deadline and has not passed: at most one family has lapsed.
  if (s->expires <= now) {
    drop_family(a, s->relay.address.family(), now);
  } else if (s->first_expires <= now) {
    drop_family(a, a.relay.address.family(), now);
  }
}

void Allocations::prune(Allocation& a, TimePoint now) {
  const std::size_t permissions = a.permissions.size();
  const std::size_t channels = a.channels.size();
  // A channel's number and peer rest after expiry before they can be bound again (§12).
  a.prune(now, deps_.channel_rest);
  deps_.counters.permissions_ended.add(permissions - a.permissions.size());
  deps_.counters.channels_ended.add(channels - a.channels.size());
}

void Allocations::schedule(Allocation& a, TimePoint deadline) {
  if (a.timer_stamp != 0 && a.next_check <= deadline) return;  // the timer fires soon enough
  a.timer_stamp = ++next_timer_stamp_;
  a.next_check = deadline;
  timers_.schedule(a.index, a.timer_stamp, deadline);
}

void Allocations::expire(TimePoint now) {
  timers_.advance(now, [&](const TimerWheel::Entry& e) {
    Allocation* a = table_.live(e.owner);
    if (a != nullptr && a->timer_stamp == e.stamp) on_timer(*a, now);
  });
  // Entries of deleted allocations (and superseded ones) wait for their deadline; when they
  // outnumber the live ones, drop them (a churning client would otherwise make the wheel hold
  // one per deletion for a whole lifetime).
  if (timers_.size() > 2 * table_.size() + kTimerSlack) {
    timers_.compact([&](const TimerWheel::Entry& e) {
      const Allocation* a = table_.live(e.owner);
      return a != nullptr && a->timer_stamp == e.stamp;
    });
  }
}

void Allocations::on_timer(Allocation& a, TimePoint now) {
  if (a.expires <= now) {
    remove(a);
    return;
  }
  if (a.dual()) settle(a, now);
  prune(a, now);
  TimePoint next = a.expires;
  if (const SecondRelay* s = second(a)) next = std::min({next, s->expires, s->first_expires});
  for (const Permission& p : a.permissions) next = std::min(next, p.expires);
  for (const Channel& c : a.channels) next = std::min(next, c.expires + deps_.channel_rest);
  a.timer_stamp = 0;  // this entry has fired: schedule unconditionally
  schedule(a, next);
}

}  // namespace ferry::turn

// RFC 8016 mobility: an allocation leaves one worker and joins another.
namespace ferry::turn {

void MovedAllocationDeleter::operator()(MovedAllocation* m) const {
  delete m;
}

MovedAllocationPtr Allocations::detach(Allocation& a) {
  MovedAllocationPtr m(new MovedAllocation);
  if (SecondRelay* s = second(a)) {
    m->second = *s;
    seconds_.erase(a.index);
  }
  m->allocation = std::move(a);  // what erase() reads (5-tuple, index, relay ids) stays in `a`
  table_.erase(a);
  return m;
}

Allocation& Allocations::adopt(MovedAllocation& m, const FiveTuple& t, const Relay& first,
                               const std::optional<Relay>& second, TimePoint now) {
  Allocation& a = table_.insert(t, first.id);
  const std::uint32_t index = a.index;
  a = std::move(m.allocation);
  a.index = index;
  a.tuple = t;
  a.relay = first;
  a.second_relay = kNoRelay;
  if (second && m.second) {
    table_.index_relay(second->id, a);
    a.second_relay = second->id;
    SecondRelay s = *m.second;
    s.relay = *second;
    seconds_[index] = s;
  }
  // Ticket serials count per worker: the serial from the old worker may be one this worker
  // issued for an earlier allocation in this slot, whose dead ticket would name this one. The
  // move's answer issues a fresh ticket; until then (the Refresh failed after the adoption)
  // no ticket names it.
  a.ticket_serial = 0;
  a.timer_stamp = 0;
  schedule(a, now);
  return a;
}

void Allocations::abandon(MovedAllocation& m, const FiveTuple& t) {
  const Allocation& a = m.allocation;
  deps_.quotas.release(a.username, t.client, a.realm);
  if (m.second) deps_.quotas.release_relay();
  Counters& c = deps_.counters;
  c.permissions_ended.add(a.permissions.size());
  c.channels_ended.add(a.channels.size());
  ++c.allocations_ended[allocation_slot(t.transport, a.counted_v6)];
}

}  // namespace ferry::turn
