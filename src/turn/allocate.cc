// Allocate (RFC 8656 §7.2) as a pipeline of small steps: authenticate, check the 5-tuple,
// validate attributes, take quota, reserve a relay, respond.
#include <memory>

#include "allocation.h"
#include "allocations.h"
#include "ferry/stun/attributes.h"
#include "ferry/turn/dispatcher.h"
#include "reply.h"

namespace ferry::turn {

using stun::ErrorCode;
using stun::MessageView;
namespace attr = stun::attr;

namespace {

constexpr std::uint8_t kProtocolUdp = 17;  // RFC 8656 §18.2: IANA protocol number
constexpr std::uint8_t kProtocolTcp = 6;   // RFC 6062 §5.1

bool wants_tcp(const MessageView& m) {
  auto transport = m.get<attr::RequestedTransport>();
  return transport && transport->protocol == kProtocolTcp;
}

// RFC 8656 §7.2: without REQUESTED-ADDRESS-FAMILY the relay is IPv4. When relay addresses
// default to the listening address (no relay-ip), an IPv6 listener has no IPv4 to offer, and
// we relay on the listener's family rather than fail: the request came over IPv6, so the
// client can use it.
Family requested_family(const FiveTuple& t, const MessageView& m,
                        const std::vector<Address>& relay_ips) {
  if (auto f = m.get<attr::RequestedAddressFamily>()) return f->family;
  if (relay_ips.empty()) return t.server.family();
  return Family::kV4;
}

}  // namespace

// `key`: the request passed the credential check, so every answer carries MESSAGE-INTEGRITY
// (RFC 8489 §9.2.4); null under no-auth.
std::optional<Reply> Dispatcher::check_allocate_attributes(const Request& r,
                                                           const auth::Md5Key* key) {
  const MessageView& m = r.message;
  auto transport = m.get<attr::RequestedTransport>();
  if (!transport) {
    return Reply::error(ErrorCode::kBadRequest, key);  // §7.2: REQUESTED-TRANSPORT is mandatory
  }
  if (transport->protocol == kProtocolTcp) return check_tcp_allocate(r, key);  // RFC 6062
  if (transport->protocol != kProtocolUdp || !settings_.udp_relay) {
    return Reply::error(ErrorCode::kUnsupportedTransportProtocol, key);
  }
  if (m.has<attr::DontFragment>()) {
    // §7.2: a server that cannot set DF answers 420 naming DONT-FRAGMENT.
    attr::UnknownAttributes ua;
    ua.push(attr::DontFragment::kType);
    return Reply::error(ErrorCode::kUnknownAttribute, key).with(ua);
  }
  const bool token = m.has<attr::ReservationToken>();
  if (token && (m.has<attr::EvenPort>() || m.has<attr::RequestedAddressFamily>())) {
    return Reply::error(ErrorCode::kBadRequest, key);  // §7.2: exclusive with RESERVATION-TOKEN
  }
  if (m.has<attr::RequestedAddressFamily>() && !m.get<attr::RequestedAddressFamily>()) {
    // A family value that is neither IPv4 nor IPv6.
    return Reply::error(ErrorCode::kAddressFamilyNotSupported, key);
  }
  return std::nullopt;
}

Seconds Dispatcher::granted_lifetime(const MessageView& m) const {
  // RFC 8656 §7.2: the client may ask for more than the default, up to the server's maximum;
  // a shorter request gets the default. LIFETIME 0xFFFFFFFF is clamped like any other.
  auto l = m.get<attr::Lifetime>();
  if (!l || Seconds(l->seconds) <= settings_.default_lifetime) return settings_.default_lifetime;
  return std::min(Seconds(l->seconds), settings_.max_lifetime);
}

Address Dispatcher::reported_relay_address(const Address& bound) const {
  for (const auto& e : settings_.external_ips) {
    if (e.public_ip.family() != bound.family()) continue;
    if (!e.private_ip.empty() && !e.private_ip.same_ip(bound)) continue;
    Address out = e.public_ip;
    out.set_port(bound.port());
    return out;
  }
  return bound;
}

Allocation& Dispatcher::insert_allocation(const FiveTuple& t, const Relay& relay, const Auth& auth,
                                          TimePoint expires) {
  Allocation& a = allocations_->insert(t, relay, expires);
  a.reported = reported_relay_address(relay.address);
  a.username = std::string(auth.username);
  a.key = auth.key;
  a.authenticated = auth.authenticated;
  return a;
}
Address Dispatcher::relay_ip_for(const FiveTuple& t, const MessageView& m) const {
  // The configured relay-ip of the requested family, else the address the request arrived on
  // (§7.2: a server without an address of that family answers 440).
  Family family = requested_family(t, m, settings_.relay_ips);
  for (const auto& r : settings_.relay_ips) {
    if (r.family() == family) return r;
  }
  if (settings_.relay_ips.empty() && t.server.family() == family) return t.server;
  return {};
}

Result<Relay> Dispatcher::open_relay(const Address& ip, const MessageView& m, std::string_view user,
                                     TimePoint now,
                                     std::optional<RelayAllocator::Token>* reserved) {
  if (auto token = m.get<attr::ReservationToken>()) {
    return deps_.relays.claim(token->token, now);  // §7.2: the port held for this token
  }
  auto even = m.get<attr::EvenPort>();
  if (!even || !even->reserve) return deps_.relays.open(ip, even.has_value());
  // §7.2, R bit: an even port P, and P + 1 held for a later Allocate with the token. A few
  // tries: another allocation may own P + 1.
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto relay = deps_.relays.open(ip, true);
    if (!relay) return relay;
    Address next = relay->address;
    next.set_port(static_cast<std::uint16_t>(next.port() + 1));
    if (auto token = deps_.relays.reserve(next, user, now)) {
      *reserved = *token;
      return relay;
    }
    deps_.relays.close(relay->id);
  }
  return Error{"no even/odd port pair free"};
}

Reply Dispatcher::handle_allocate(const Request& r) {
  const FiveTuple& t = r.tuple;
  const MessageView& m = r.message;
  Auth auth;
  if (auto refusal = authenticate(r, auth)) return *refusal;
  const auth::Md5Key* key = auth.authenticated ? &auth.key : nullptr;
  if (Allocation* existing = allocations_->current(t, r.now)) {
    // RFC 8489 §6.3.1: a retransmission gets the same answer, not a second execution.
    if (existing->answered(m.transaction_id()))
      return Reply::retransmission(existing->last_answer());
    // §7.2: this 5-tuple already has an allocation.
    return Reply::error(ErrorCode::kAllocationMismatch, key);
  }
  // RFC 8489 §10: another server takes new allocations. After authentication, so the 300
  // carries MESSAGE-INTEGRITY and a forged one cannot send the client elsewhere.
  const auto& alternates = t.transport == Transport::kTls || t.transport == Transport::kDtls
                               ? settings_.tls_alternate_servers
                               : settings_.alternate_servers;
  if (!alternates.empty()) {
    const Address& to = alternates[next_alternate_++ % alternates.size()].address;
    return Reply::error(ErrorCode::kTryAlternate, key).with(attr::AlternateServer{to});
  }
  if (auto refusal = check_allocate_attributes(r, key)) return *refusal;
  Address ip = relay_ip_for(t, m);
  if (ip.empty() && !m.has<attr::ReservationToken>()) {
    return Reply::error(ErrorCode::kAddressFamilyNotSupported, key);
  }
  if (!deps_.quotas.acquire(auth.username, t.client)) {
    return Reply::error(ErrorCode::kAllocationQuotaReached, key);
  }
  std::optional<RelayAllocator::Token> reserved;
  const bool tcp = wants_tcp(m);
  auto relay =
      tcp ? open_tcp_relay(ip, t.client) : open_relay(ip, m, auth.username, r.now, &reserved);
  if (!relay) {
    deps_.quotas.release(auth.username, t.client);
    // No port (or no valid reservation).
    return Reply::error(ErrorCode::kInsufficientCapacity, key);
  }
  Seconds lifetime = granted_lifetime(m);
  Allocation& ref = insert_allocation(t, *relay, auth, r.now + lifetime);
  if (tcp) ref.tcp = std::make_unique<TcpAllocation>();
  Reply reply = Reply::success(key).remembered_in(ref);
  reply.with(attr::XorRelayedAddress{ref.reported});
  reply.with(attr::Lifetime{static_cast<std::uint32_t>(lifetime.count())});
  reply.with(attr::XorMappedAddress{t.client});  // §7.3: the client's server-reflexive address
  if (reserved) reply.with(attr::ReservationToken{*reserved});
  if (auto extra = m.get<attr::AdditionalAddressFamily>()) {
    // RFC 8656 §7.2: one family per allocation for now; say so for the additional one.
    reply.with(attr::AddressErrorCode::of(extra->family, ErrorCode::kAddressFamilyNotSupported));
  }
  return reply;
}

}  // namespace ferry::turn
