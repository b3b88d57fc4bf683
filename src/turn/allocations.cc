// Allocation lifetimes: insertion, removal, the expiry timers.
#include "allocations.h"

#include <algorithm>

namespace ferry::turn {

Allocations::~Allocations() {
  table_.for_each([this](Allocation& a) {
    deps_.relays.close(a.relay.id);
    deps_.quotas.release(a.username, a.tuple.client);
    if (deps_.open_relays != nullptr) deps_.open_relays->remove(a.relay.address);
  });
}

Allocation* Allocations::current(const FiveTuple& t, TimePoint now) {
  Allocation* a = table_.find(t);
  if (a != nullptr && a->expires <= now) {
    remove(*a);
    return nullptr;
  }
  return a;
}

Allocation& Allocations::insert(const FiveTuple& t, const Relay& relay, TimePoint expires) {
  Allocation& a = table_.insert(t, relay.id);
  a.relay = relay;
  a.expires = expires;
  schedule(a, expires);
  if (deps_.open_relays != nullptr) deps_.open_relays->add(relay.address);
  ++deps_.counters.allocations_created[allocation_slot(t.transport, relay.address.is_v6())];
  return a;
}

void Allocations::remove(Allocation& a) {
  // Everything the allocation held comes back: its port, its quota, its table entries (its
  // timer entry is left to lapse: it no longer matches a live allocation).
  if (a.tcp && deps_.on_tcp_remove) deps_.on_tcp_remove(a);
  deps_.relays.close(a.relay.id);
  deps_.quotas.release(a.username, a.tuple.client);
  if (deps_.open_relays != nullptr) deps_.open_relays->remove(a.relay.address);
  Counters& c = deps_.counters;
  c.permissions_ended.add(a.permissions.size());
  c.channels_ended.add(a.channels.size());
  ++c.allocations_ended[allocation_slot(a.tuple.transport, a.relay.address.is_v6())];
  table_.erase(a);
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
  prune(a, now);
  TimePoint next = a.expires;
  for (const Permission& p : a.permissions) next = std::min(next, p.expires);
  for (const Channel& c : a.channels) next = std::min(next, c.expires + deps_.channel_rest);
  a.timer_stamp = 0;  // this entry has fired: schedule unconditionally
  schedule(a, next);
}

}  // namespace ferry::turn
