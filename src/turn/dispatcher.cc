// Dispatch and Binding. The TURN request handlers live in allocate.cc, requests.cc and
// auth.cc, the one response path in respond.cc, the data path in relay_data.cc.
#include "ferry/turn/dispatcher.h"

#include "allocation.h"
#include "allocations.h"
#include "ferry/common/prefix_limiter.h"
#include "ferry/stun/attributes.h"
#include "ferry/stun/channel_data.h"
#include "ferry/stun/message.h"
#include "reply.h"

namespace ferry::turn {

using stun::Class;
using stun::ErrorCode;
using stun::MessageView;
using stun::Method;

Dispatcher::Dispatcher(const Dependencies& deps)
    : deps_(deps),
      settings_(deps.settings),
      egress_(deps.egress),
      policy_(deps.settings.peers, deps.open_relays),
      allocations_(std::make_unique<Allocations>(Allocations::Dependencies{
          .relays = deps.relays,
          .quotas = deps.quotas,
          .open_relays = deps.open_relays,
          .counters = counters_,
          .channel_rest = deps.settings.channel_rest,
          .on_tcp_remove = [this](Allocation& a) { end_tcp(a); },
      })),
      bandwidth_limited_(deps.settings.max_bps != 0 || deps.settings.worker_bps_capacity != 0) {
  if (settings_.unauthenticated_response_rate > 0) {
    limiter_ = std::make_unique<PrefixLimiter>(settings_.unauthenticated_response_rate,
                                               settings_.unauthenticated_response_burst);
  }
}

Dispatcher::~Dispatcher() = default;

std::size_t Dispatcher::allocation_count() const {
  return allocations_->size();
}

bool Dispatcher::has_allocation(const FiveTuple& t) const {
  return allocations_->find(t) != nullptr;
}

void Dispatcher::on_client_packet(const FiveTuple& t, Bytes packet, TimePoint now) {
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
  const Request r{t, m, stun::to_method(m.method()), now};
  // Indications never get answers (a Binding indication is a keepalive); responses from
  // clients are unsolicited. An RFC 3489 request (no magic cookie) is answered only as a
  // classic Binding: RFC 3489 has no TURN, and an RFC 5389-form answer would carry 12 of its
  // 16 transaction-id bytes, which a classic client cannot match (found by fuzz_core).
  if (m.cls() != Class::kRequest ||
      (m.rfc3489() && (!settings_.stun_backward_compatibility || r.method != Method::kBinding))) {
    ++counters_.dropped_other;
    return;
  }
  respond(r, answer(r));
}

Reply Dispatcher::answer(const Request& r) {
  // RFC 8489 §6.3.1.1: unknown comprehension-required attributes -> 420 listing them.
  std::array<std::uint16_t, 16> unknown{};
  if (std::size_t n = r.message.unknown_required(unknown); n > 0) {
    stun::attr::UnknownAttributes ua;
    for (std::size_t i = 0; i < n; ++i) ua.push(unknown[i]);
    return Reply::error(ErrorCode::kUnknownAttribute).with(ua);
  }
  if (r.method) {
    switch (*r.method) {
      case Method::kBinding:
        return answer_binding(r);
      case Method::kAllocate:
        // No credentials configured and no `no-auth`: TURN stays off rather than open.
        if (!settings_.turn_enabled) return Reply::error(ErrorCode::kForbidden);
        return handle_allocate(r);
      case Method::kRefresh:
        return on_allocation(r, &Dispatcher::handle_refresh);
      case Method::kCreatePermission:
        return on_allocation(r, &Dispatcher::handle_create_permission);
      case Method::kChannelBind:
        return on_allocation(r, &Dispatcher::handle_channel_bind);
      case Method::kConnect:  // RFC 6062 §5.2, on the control connection's TCP allocation
        return on_allocation(r, &Dispatcher::handle_connect);
      case Method::kConnectionBind:  // RFC 6062 §5.3, on a new (data) connection
        return handle_connection_bind(r);
      case Method::kSend:  // indications only (RFC 8656 §10-11): as requests, unknown
      case Method::kData:
      case Method::kConnectionAttempt:  // RFC 6062 §4.4: an indication, sent by the server
        break;
    }
  }
  return Reply::error(settings_.turn_enabled ? ErrorCode::kBadRequest : ErrorCode::kForbidden);
}

// Refresh, CreatePermission and ChannelBind: authenticated, on this 5-tuple's allocation.
Reply Dispatcher::on_allocation(const Request& r, Handler handler) {
  if (!settings_.turn_enabled) return Reply::error(ErrorCode::kForbidden);
  // A request on an allocation is in the allocation's realm, whatever its ORIGIN says (a
  // client may send ORIGIN with its Allocate only); one without is in its ORIGIN's realm.
  // Looking the allocation up first changes nothing but what has expired anyway.
  Allocation* found = allocations_->current(r.tuple, r.now);
  const RealmChoice realm = found != nullptr ? realm_of_allocation(*found) : realm_of_request(r);
  Auth auth;
  if (auto refusal = authenticate(r, auth, realm.name)) return *refusal;
  const auth::MessageKey* key = auth.authenticated ? &auth.key : nullptr;
  const bool ticketed = r.method == Method::kRefresh && r.message.has<stun::attr::MobilityTicket>();
  if (ticketed && !mobility_on()) {
    counters_.refuse_move(MoveRefusal::kForbidden);
    return Reply::error(ErrorCode::kMobilityForbidden, key);  // RFC 8016 §3.4
  }
  if (found == nullptr) {
    // RFC 8016 §3.2: a ticket from a new 5-tuple moves its allocation here.
    if (ticketed) return move_allocation(r, auth);
    // RFC 8656 §7.4 etc.: no allocation on this 5-tuple.
    return Reply::error(ErrorCode::kAllocationMismatch, key);
  }
  Allocation& a = *found;
  if (auth.authenticated && auth.username != a.username) {
    ++counters_.auth_wrong_user;
    // RFC 8656 §5: the allocation belongs to another user.
    return Reply::error(ErrorCode::kWrongCredentials, key);
  }
  if (!origin_consistent(r, a)) {
    // check-origin-consistency: coturn's 441. After the credential check, so the answer
    // carries MESSAGE-INTEGRITY and a stranger learns nothing of the allocation's ORIGIN.
    ++counters_.auth_wrong_origin;
    return Reply::error(ErrorCode::kWrongCredentials, key);
  }
  // The same user may sign with another key than the Allocate's: another password algorithm
  // (RFC 8656 §5 asks only for the same username) or, while TURN REST secrets rotate, another
  // secret. The answer is signed with the key this request proved (RFC 8489 §9.2.4), and so
  // is everything after it.
  if (auth.authenticated) a.key = auth.key;
  // RFC 8489 §6.3.1: a retransmission gets the same answer, not a second execution.
  if (a.answered(r.message.transaction_id())) return Reply::retransmission(a.last_answer());
  return (this->*handler)(r, a);
}

namespace {
// RFC 5780 §7.6: PADDING's value is ignored; what a response pads with (at most 1,472 bytes).
constexpr std::array<std::uint8_t, 1472> kZeroPadding{};
}  // namespace

Reply Dispatcher::answer_binding(const Request& r) {
  ++counters_.binding_requests;
  const FiveTuple& t = r.tuple;
  const stun::MessageView& m = r.message;
  // RFC 5780 (rfc5780): the request may ask for another source (CHANGE-REQUEST), another
  // destination port (RESPONSE-PORT) or a padded answer (PADDING). A CHANGE-REQUEST without a
  // flag asks for nothing: RFC 3489-era clients send one in every request.
  auto change = m.get<stun::attr::ChangeRequest>();
  const bool change_ip = change && change->change_ip;
  const bool change_port = change && change->change_port;
  const bool udp = t.transport == Transport::kUdp;
  // OTHER-ADDRESS over TLS and DTLS too (their own port pair, alt-tls-listening-port), for
  // mapping tests over them (§4.3); only UDP answers can change their source.
  const bool tls = t.transport == Transport::kTls || t.transport == Transport::kDtls;
  const Address other = udp || tls ? settings_.nat.other_of(t.server, tls) : Address{};
  const Address changed = udp ? other : Address{};
  // §6, Table 1: the source is Da:Dp with the flagged parts swapped for Ca:Cp.
  Address from = t.server;
  if (change_ip) {
    from = changed;
    from.set_port(t.server.port());
  }
  if (change_port) from.set_port(changed.port());
  if (m.rfc3489()) return answer_classic_binding(t, change_ip || change_port, from, changed);
  auto response_port = m.get<stun::attr::ResponsePort>();
  if ((change_ip || change_port) && changed.empty()) {
    // §6: no alternate address and port (RFC 5780 off, this family has one address, or a
    // stream whose source cannot change): 420 naming CHANGE-REQUEST.
    stun::attr::UnknownAttributes ua;
    ua.push(stun::attr::ChangeRequest::kType);
    return Reply::error(ErrorCode::kUnknownAttribute).with(ua);
  }
  if (response_port && (!settings_.nat.on() || !udp)) {
    stun::attr::UnknownAttributes ua;  // §5: support for RESPONSE-PORT is optional
    ua.push(stun::attr::ResponsePort::kType);
    return Reply::error(ErrorCode::kUnknownAttribute).with(ua);
  }
  auto padding = settings_.nat.on() ? m.get<stun::attr::Padding>() : std::nullopt;
  if (padding && response_port) return Reply::error(ErrorCode::kBadRequest);  // §6.1
  // RFC 8489 §14.2: the reflexive address, XOR-ed so that NATs rewriting addresses in payloads
  // cannot break it. MAPPED-ADDRESS (§14.1) for RFC 3489-era clients reading only that; RFC
  // 5780 §6.1 wants both.
  Reply reply = Reply::success();
  reply.with(stun::attr::XorMappedAddress{t.client});
  if (settings_.stun_backward_compatibility || settings_.nat.on()) {
    reply.with(stun::attr::MappedAddress{t.client});
  }
  // RFC 5780 §7.3: where the response was sent from; §7.4: where CHANGE-REQUEST would send it.
  if (settings_.response_origin || settings_.nat.on()) {
    reply.with(stun::attr::ResponseOrigin{from});
  }
  if (!other.empty()) reply.with(stun::attr::OtherAddress{other});
  if (padding) {
    // §6.1 says pad to the outgoing MTU. A response larger than its request would make a
    // spoofed request an amplifier, so the answer's PADDING is as long as the request's (a
    // client testing fragmentation pads its request to the MTU, §5), at most 1,472 bytes;
    // the answer is then a few dozen bytes longer than the request, never more.
    const std::size_t n = std::min(padding->value.size(), kZeroPadding.size()) & ~std::size_t{3};
    reply.with(stun::attr::Padding{Bytes(kZeroPadding.data(), n)});
  }
  if (change_ip || change_port || response_port) {
    FiveTuple route = t;
    route.server = from;
    if (response_port) route.client.set_port(response_port->port);
    reply.routed(route);
  }
  return reply;
}

// RFC 3489 §11.2.1: a classic client reads MAPPED-ADDRESS (no XOR, no cookie), and with RFC
// 5780 on, SOURCE-ADDRESS and CHANGED-ADDRESS too (its §11.2.3, §11.2.5), the classic test for
// the NAT's filtering included. A change this server cannot make gets no answer: the classic
// form has no error a client could match, and an answer from the same address would read as
// "no filtering".
Reply Dispatcher::answer_classic_binding(const FiveTuple& t, bool change, const Address& from,
                                         const Address& other) {
  if (change && other.empty()) return Reply::error(ErrorCode::kUnknownAttribute);  // dropped
  Reply reply = Reply::success().with(stun::attr::MappedAddress{t.client});
  if (other.empty()) return reply;
  reply.with(stun::attr::SourceAddress{from});
  reply.with(stun::attr::ChangedAddress{other});
  if (change) {
    FiveTuple route = t;
    route.server = from;
    reply.routed(route);
  }
  return reply;
}

void Dispatcher::set_host_addresses(std::vector<Address> ips, TimePoint now) {
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

void Dispatcher::on_client_closed(const FiveTuple& tuple) {
  if (Allocation* a = allocations_->find(tuple)) allocations_->remove(*a);
}

void Dispatcher::expire(TimePoint now) {
  allocations_->expire(now);
}

std::size_t Dispatcher::timer_entries() const {
  return allocations_->timer_entries();
}

}  // namespace ferry::turn
