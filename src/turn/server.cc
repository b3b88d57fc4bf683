// Dispatch, Binding, replies and allocation bookkeeping. The TURN request handlers live in
// allocate.cc and requests.cc, the data path in relay_data.cc.
#include "ferry/turn/server.h"

#include <algorithm>

#include "allocation.h"
#include "allocation_table.h"
#include "ferry/stun/attributes.h"
#include "ferry/stun/channel_data.h"
#include "ferry/stun/message.h"
#include "response_limiter.h"
#include "timer_wheel.h"

namespace ferry::turn {

using stun::Class;
using stun::MessageBuilder;
using stun::MessageView;
using stun::Method;

std::string_view reason_phrase(std::uint16_t code) {
  switch (code) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 420:
      return "Unknown Attribute";
    case 437:
      return "Allocation Mismatch";
    case 438:
      return "Stale Nonce";
    case 440:
      return "Address Family not Supported";
    case 441:
      return "Wrong Credentials";
    case 442:
      return "Unsupported Transport Protocol";
    case 443:
      return "Peer Address Family Mismatch";
    case 486:
      return "Allocation Quota Reached";
    case 508:
      return "Insufficient Capacity";
    default:
      return "Error";
  }
}

Server::Server(const Dependencies& deps)
    : deps_(deps),
      settings_(deps.settings),
      egress_(deps.egress),
      policy_(deps.settings.peers, deps.open_relays),
      allocations_(std::make_unique<AllocationTable>()),
      timers_(std::make_unique<TimerWheel>()),
      bandwidth_limited_(deps.settings.max_bps != 0 || deps.settings.worker_bps_capacity != 0) {
  if (settings_.unauthenticated_response_rate > 0) {
    limiter_ = std::make_unique<ResponseLimiter>(settings_.unauthenticated_response_rate,
                                                 settings_.unauthenticated_response_burst);
  }
}

Server::~Server() {
  allocations_->for_each([this](Allocation& a) {
    deps_.relays.close(a.relay.id);
    deps_.quotas.release(a.username, a.tuple.client);
    if (deps_.open_relays != nullptr) deps_.open_relays->remove(a.relay.address);
  });
}

std::size_t Server::allocation_count() const {
  return allocations_->size();
}

bool Server::has_allocation(const FiveTuple& t) const {
  return allocations_->find(t) != nullptr;
}

void Server::on_client_packet(const FiveTuple& t, Bytes packet, TimePoint now) {
  if (stun::is_channel_data(packet)) {
    handle_channel_data(t, packet, now);
    return;
  }
  auto parsed = MessageView::parse(packet);
  if (!parsed) {
    ++counters_.dropped_malformed;  // RFC 8489 §6.3: discarded silently (no amplification)
    return;
  }
  const MessageView& m = *parsed;
  if (m.cls() == Class::kIndication && m.is(Method::kSend, Class::kIndication)) {
    if (Allocation* a = allocations_->find(t)) {
      handle_send(m, *a, now);
      return;
    }
  }
  request_time_ = now;
  // Indications never get answers (a Binding indication is a keepalive); responses from
  // clients are unsolicited. An RFC 3489 request (no magic cookie) is answered only as a
  // classic Binding: RFC 3489 has no TURN, and an RFC 5389-form answer would carry 12 of its
  // 16 transaction-id bytes, which a classic client cannot match (found by fuzz_core).
  if (m.cls() != Class::kRequest ||
      (m.rfc3489() && (!settings_.stun_backward_compatibility ||
                       m.method() != static_cast<std::uint16_t>(Method::kBinding)))) {
    ++counters_.dropped_other;
    return;
  }
  // RFC 8489 §6.3.1.1: unknown comprehension-required attributes -> 420 listing them.
  std::array<std::uint16_t, 16> unknown{};
  if (std::size_t n = m.unknown_required(unknown); n > 0) {
    if (m.rfc3489()) {  // no RFC 5389-form 420 to a classic client (see above)
      ++counters_.dropped_other;
      return;
    }
    if (!unauthenticated_reply_allowed(t)) return;
    MessageBuilder b(out_, m.method(), Class::kError, m.transaction_id());
    b.add(stun::attr::ErrorCode{420, reason_phrase(420)});
    stun::attr::UnknownAttributes ua;
    for (std::size_t i = 0; i < n; ++i) ua.push(unknown[i]);
    b.add(ua);
    ++counters_.error_responses[error_code_slot(420)];
    seal_and_send(t, m, b, nullptr, nullptr);
    return;
  }
  handle_request(t, m, now);
}

void Server::handle_request(const FiveTuple& t, const MessageView& m, TimePoint now) {
  const auto method = m.method();
  if (method == static_cast<std::uint16_t>(Method::kBinding)) {
    handle_binding(t, m);
    return;
  }
  if (!settings_.turn_enabled) {
    // No credentials configured and no `no-auth`: TURN stays off rather than open.
    send_error(t, m, 403);
    return;
  }
  if (method == static_cast<std::uint16_t>(Method::kAllocate)) {
    handle_allocate(t, m, now);
    return;
  }
  const bool known = method == static_cast<std::uint16_t>(Method::kRefresh) ||
                     method == static_cast<std::uint16_t>(Method::kCreatePermission) ||
                     method == static_cast<std::uint16_t>(Method::kChannelBind);
  if (!known) {
    send_error(t, m, 400);  // RFC 6062 Connect/ConnectionBind come with TCP relaying
    return;
  }
  Auth auth;
  if (!authenticate(t, m, now, auth)) return;
  const auth::Md5Key* key = auth.authenticated ? &auth.key : nullptr;
  Allocation* found = current(t, now);
  if (found == nullptr) {
    send_error(t, m, 437, key);  // RFC 8656 §7.4 etc.: no allocation on this 5-tuple
    return;
  }
  Allocation& a = *found;
  if (auth.authenticated && auth.username != a.username) {
    ++counters_.auth_wrong_user;
    send_error(t, m, 441, key);  // RFC 8656 §5: the allocation belongs to another user
    return;
  }
  if (replay_cached(t, m, a)) return;
  if (method == static_cast<std::uint16_t>(Method::kRefresh)) {
    handle_refresh(t, m, a, now);
  } else if (method == static_cast<std::uint16_t>(Method::kCreatePermission)) {
    handle_create_permission(t, m, a, now);
  } else {
    handle_channel_bind(t, m, a, now);
  }
}

void Server::handle_binding(const FiveTuple& t, const MessageView& m) {
  ++counters_.binding_requests;
  // Ferry authenticates no Binding request, so every answer to one is reflectable.
  if (!unauthenticated_reply_allowed(t)) return;
  ++counters_.binding_responses;
  if (m.rfc3489()) {
    // RFC 3489 §11.2.1: classic clients understand only MAPPED-ADDRESS (no XOR, no cookie).
    auto b = MessageBuilder::rfc3489(out_, m.method(), Class::kSuccess, m.rfc3489_id());
    b.add(stun::attr::MappedAddress{t.client});
    if (settings_.software) b.add(stun::attr::Software{settings_.software_name});
    egress_.to_client(t, b.finish());
    return;
  }
  MessageBuilder b(out_, Method::kBinding, Class::kSuccess, m.transaction_id());
  // RFC 8489 §14.2: the reflexive address, XOR-ed so that NATs rewriting addresses in payloads
  // cannot break it. MAPPED-ADDRESS (§14.1) for RFC 3489-era clients reading only that.
  b.add(stun::attr::XorMappedAddress{t.client});
  if (settings_.stun_backward_compatibility) b.add(stun::attr::MappedAddress{t.client});
  // RFC 5780 §7.3: where the response was sent from.
  if (settings_.response_origin) b.add(stun::attr::ResponseOrigin{t.server});
  seal_and_send(t, m, b, nullptr, nullptr);
}

void Server::send_error(const FiveTuple& t, const MessageView& m, std::uint16_t code,
                        const auth::Md5Key* key) {
  if (m.rfc3489()) {
    ++counters_.dropped_other;
    return;
  }
  if (key == nullptr && !unauthenticated_reply_allowed(t)) return;
  ++counters_.error_responses[error_code_slot(code)];
  MessageBuilder b(out_, m.method(), Class::kError, m.transaction_id());
  b.add(stun::attr::ErrorCode{code, reason_phrase(code)});
  seal_and_send(t, m, b, key, nullptr);
}

void Server::send_challenge(const FiveTuple& t, const MessageView& m, std::uint16_t code,
                            TimePoint now) {
  // RFC 8489 §9.2.4: 401 and 438 carry REALM and a fresh NONCE; no MESSAGE-INTEGRITY. Checked
  // before the nonce's HMAC, so a flood over budget costs no hashing either.
  if (!unauthenticated_reply_allowed(t)) return;
  ++counters_.error_responses[error_code_slot(code)];
  auto nonce = deps_.nonces.make(t.client, now, settings_.nonce_lifetime);
  MessageBuilder b(out_, m.method(), Class::kError, m.transaction_id());
  b.add(stun::attr::ErrorCode{code, reason_phrase(code)});
  b.add(stun::attr::Realm{settings_.realm});
  b.add(stun::attr::Nonce{auth::as_view(nonce)});
  seal_and_send(t, m, b, nullptr, nullptr);
}

void Server::finish_and_send(const FiveTuple& t, const MessageView& m, MessageBuilder& b,
                             const auth::Md5Key* key, Allocation* cache_in) {
  // `cache_in`: the reply belongs to an allocation, which exempts it.
  if (key == nullptr && cache_in == nullptr && !unauthenticated_reply_allowed(t)) return;
  seal_and_send(t, m, b, key, cache_in);
}

void Server::seal_and_send(const FiveTuple& t, const MessageView& m, MessageBuilder& b,
                           const auth::Md5Key* key, Allocation* cache_in) {
  if (settings_.software) b.add(stun::attr::Software{settings_.software_name});
  if (key != nullptr) b.add_message_integrity(Bytes(key->data(), key->size()));
  if (settings_.fingerprint || m.has_fingerprint()) b.add_fingerprint();
  Bytes out = b.finish();
  if (out.empty()) return;  // cannot happen with our sizes; never send a broken message
  if (cache_in != nullptr) {
    cache_in->last_tid = m.transaction_id();
    cache_in->last_response.assign(out.begin(), out.end());
  }
  egress_.to_client(t, out);
}

bool Server::unauthenticated_reply_allowed(const FiveTuple& t) {
  // Only plain UDP can be spoofed: a TCP or TLS peer completed a handshake from its address,
  // and DTLS answers a ClientHello with a cookie before any STUN message (RFC 6347 §4.2.1).
  if (limiter_ == nullptr || t.transport != Transport::kUdp) return true;
  // The client proved its key when it allocated (or the operator chose no-auth); its
  // keepalive Bindings and Allocate retransmissions must keep working.
  if (allocations_->find(t) != nullptr) return true;
  if (limiter_->allow(t.client, request_time_)) return true;
  ++counters_.dropped_rate_limited;
  return false;
}

bool Server::replay_cached(const FiveTuple& t, const MessageView& m, const Allocation& a) {
  // RFC 8489 §6.3.1: a retransmission gets the same answer, not a second execution.
  if (a.last_response.empty() || a.last_tid != m.transaction_id()) return false;
  egress_.to_client(t, Bytes(a.last_response.data(), a.last_response.size()));
  return true;
}

void Server::set_host_addresses(std::vector<Address> ips, TimePoint now) {
  if (!policy_.set_host_addresses(std::move(ips))) return;  // the periodic re-read: unchanged
  // Permissions and channels were checked when installed; the data path re-checks only what
  // can change per packet (relay-to-relay peers, the listening ports). An address that has
  // just become the host's is revoked here instead: rare (an interface change), and it keeps
  // the policy off the per-packet path.
  allocations_->for_each([this, now](Allocation& a) {
    for (Permission& p : a.permissions) {
      if (!p.via_relay && policy_.check(p.ip) == PeerVerdict::kRefused) p.expires = now;
    }
    for (Channel& c : a.channels) {
      // Expired now, so the number still rests its five minutes (RFC 8656 §12).
      if (!c.via_relay && policy_.check(c.peer) == PeerVerdict::kRefused) c.expires = now;
    }
  });
}

void Server::on_client_closed(const FiveTuple& tuple) {
  if (Allocation* a = allocations_->find(tuple)) remove(*a);
}

Allocation* Server::current(const FiveTuple& t, TimePoint now) {
  Allocation* a = allocations_->find(t);
  if (a != nullptr && a->expires <= now) {
    remove(*a);
    return nullptr;
  }
  return a;
}

void Server::remove(Allocation& a) {
  // Everything the allocation held comes back: its port, its quota, its table entries (its
  // timer entry is left to lapse: it no longer matches a live allocation).
  deps_.relays.close(a.relay.id);
  deps_.quotas.release(a.username, a.tuple.client);
  if (deps_.open_relays != nullptr) deps_.open_relays->remove(a.relay.address);
  counters_.permissions_ended.add(a.permissions.size());
  counters_.channels_ended.add(a.channels.size());
  ++counters_.allocations_ended[allocation_slot(a.tuple.transport, a.relay.address.is_v6())];
  allocations_->erase(a);
}

void Server::prune(Allocation& a, TimePoint now) {
  const std::size_t permissions = a.permissions.size();
  const std::size_t channels = a.channels.size();
  // A channel's number and peer rest after expiry before they can be bound again (§12).
  a.prune(now, settings_.channel_rest);
  counters_.permissions_ended.add(permissions - a.permissions.size());
  counters_.channels_ended.add(channels - a.channels.size());
}

void Server::schedule(Allocation& a, TimePoint deadline) {
  if (a.timer_stamp != 0 && a.next_check <= deadline) return;  // the timer fires soon enough
  a.timer_stamp = ++next_timer_stamp_;
  a.next_check = deadline;
  timers_->schedule(a.index, a.timer_stamp, deadline);
}

void Server::expire(TimePoint now) {
  timers_->advance(now, [&](const TimerWheel::Entry& e) {
    Allocation* a = allocations_->live(e.owner);
    if (a != nullptr && a->timer_stamp == e.stamp) on_timer(*a, now);
  });
  // Entries of deleted allocations (and superseded ones) wait for their deadline; when they
  // outnumber the live ones, drop them (a churning client would otherwise make the wheel hold
  // one per deletion for a whole lifetime).
  if (timers_->size() > 2 * allocations_->size() + kTimerSlack) {
    timers_->compact([&](const TimerWheel::Entry& e) {
      const Allocation* a = allocations_->live(e.owner);
      return a != nullptr && a->timer_stamp == e.stamp;
    });
  }
}

std::size_t Server::timer_entries() const {
  return timers_->size();
}

void Server::on_timer(Allocation& a, TimePoint now) {
  if (a.expires <= now) {
    remove(a);
    return;
  }
  prune(a, now);
  TimePoint next = a.expires;
  for (const Permission& p : a.permissions) next = std::min(next, p.expires);
  for (const Channel& c : a.channels) next = std::min(next, c.expires + settings_.channel_rest);
  a.timer_stamp = 0;  // this entry has fired: schedule unconditionally
  schedule(a, next);
}

}  // namespace ferry::turn
