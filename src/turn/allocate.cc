// Allocate (RFC 8656 §7.2) as a pipeline of small steps: authenticate, check the 5-tuple,
// validate attributes, take quota, reserve a relay, respond.
#include <memory>
#include <optional>

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

}  // namespace

// RFC 8656 §7.2: without REQUESTED-ADDRESS-FAMILY the relay is IPv4, or what
// allocation-default-address-family says (coturn's option: ipv6, or `keep`: the family of the
// client's own connection). When relay addresses default to the listening addresses (no
// relay-ip) and none is of that family, we relay on the family of the address the client
// reached rather than fail: the request came over it, so the client can use it.
Family Dispatcher::requested_family(const FiveTuple& t, const MessageView& m) const {
  if (auto f = m.get<attr::RequestedAddressFamily>()) return f->family;
  Family want = Family::kV4;
  switch (settings_.default_family) {
    case DefaultFamily::kIpv4:
      break;
    case DefaultFamily::kIpv6:
      want = Family::kV6;
      break;
    case DefaultFamily::kKeep:
      want = t.client.family();
      break;
  }
  if (settings_.relay_ips.empty() && relay_ip_for(t, want).empty()) return t.server.family();
  return want;
}

// `key`: the request passed the credential check, so every answer carries MESSAGE-INTEGRITY
// (RFC 8489 §9.2.4); null under no-auth.
std::optional<Reply> Dispatcher::check_allocate_attributes(const Request& r,
                                                           const auth::MessageKey* key) {
  const MessageView& m = r.message;
  auto transport = m.get<attr::RequestedTransport>();
  if (!transport) {
    return Reply::error(ErrorCode::kBadRequest, key);  // §7.2: REQUESTED-TRANSPORT is mandatory
  }
  if (transport->protocol == kProtocolTcp) return check_tcp_allocate(r, key);  // RFC 6062
  if (transport->protocol != kProtocolUdp || !settings_.udp_relay) {
    return Reply::error(ErrorCode::kUnsupportedTransportProtocol, key);
  }
  if (m.has<attr::DontFragment>() && !deps_.relays.can_dont_fragment()) {
    // §7.2: a server that cannot set DF answers 420 naming DONT-FRAGMENT.
    attr::UnknownAttributes ua;
    ua.push(attr::DontFragment::kType);
    return Reply::error(ErrorCode::kUnknownAttribute, key).with(ua);
  }
  const bool token = m.has<attr::ReservationToken>();
  const bool requested = m.has<attr::RequestedAddressFamily>();
  const bool additional = m.has<attr::AdditionalAddressFamily>();
  if (token && (m.has<attr::EvenPort>() || requested || additional)) {
    return Reply::error(ErrorCode::kBadRequest, key);  // §7.2: exclusive with RESERVATION-TOKEN
  }
  if (requested && additional) {
    return Reply::error(ErrorCode::kBadRequest, key);  // §7.2 step 6
  }
  if (requested && !m.get<attr::RequestedAddressFamily>()) {
    // A family value that is neither IPv4 nor IPv6.
    return Reply::error(ErrorCode::kAddressFamilyNotSupported, key);
  }
  if (additional) {
    // §7.2 steps 8-9: not with EVEN-PORT's R bit (the held port is one address), and IPv6
    // (the family added to IPv4) is the only value.
    auto even = m.get<attr::EvenPort>();
    auto extra = m.get<attr::AdditionalAddressFamily>();
    if ((even && even->reserve) || !extra || extra->family != Family::kV6) {
      return Reply::error(ErrorCode::kBadRequest, key);
    }
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
                                          TimePoint expires, const RealmLimits& realm,
                                          std::uint16_t origin_tag) {
  Allocation& a = allocations_->insert(t, relay, expires);
  a.reported = reported_relay_address(relay.address);
  a.username = std::string(auth.username);
  a.key = auth.key;
  a.authenticated = auth.authenticated;
  a.realm = realm.realm;
  a.origin_tag = origin_tag;
  return a;
}
Address Dispatcher::relay_ip_for(const FiveTuple& t, Family family) const {
  // The configured relay-ip of the family; without relay-ip, the address the request arrived
  // on, or another listening address of the family (an IPv4 client may ask for IPv6, §7.2).
  // Empty when the server has none: 440.
  if (!settings_.relay_ips.empty()) {
    for (const auto& r : settings_.relay_ips) {
      if (r.family() == family) return r;
    }
    return {};
  }
  if (t.server.family() == family) return t.server;
  for (const auto& l : settings_.listening_ips) {
    if (l.family() == family && !l.is_any()) return l;
  }
  return {};
}

Result<Relay> Dispatcher::open_relay(const Address& ip, const MessageView& m, std::string_view user,
                                     const RealmLimits& realm, TimePoint now,
                                     std::optional<RelayAllocator::Token>* reserved) {
  // §7.2, DONT-FRAGMENT: the relay sends with DF set (§14); set before any port is held for
  // a token, so that a failure leaves nothing behind.
  const bool dont_fragment = m.has<attr::DontFragment>();
  auto with_df = [&](Result<Relay> relay) -> Result<Relay> {
    if (!relay || !dont_fragment || deps_.relays.set_dont_fragment(relay->id)) return relay;
    deps_.relays.close(relay->id);
    return Error{"cannot set DF on the relay socket"};
  };
  if (auto token = m.get<attr::ReservationToken>()) {
    return with_df(deps_.relays.claim(token->token, now));  // §7.2: the port held for it
  }
  auto even = m.get<attr::EvenPort>();
  if (!even || !even->reserve) return with_df(deps_.relays.open(ip, even.has_value()));
  // §7.2, R bit: an even port P, and P + 1 held for a later Allocate with the token. A few
  // tries: another allocation may own P + 1.
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto relay = with_df(deps_.relays.open(ip, true));
    if (!relay) return relay;
    Address next = relay->address;
    next.set_port(static_cast<std::uint16_t>(next.port() + 1));
    // The held port counts in the Allocate's realm, as its allocation does.
    if (auto token = deps_.relays.reserve(next, user, realm, now)) {
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
  const RealmChoice realm = realm_of_request(r);
  Auth auth;
  if (auto refusal = authenticate(r, auth, realm.name)) return *refusal;
  const auth::MessageKey* key = auth.authenticated ? &auth.key : nullptr;
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
  if (auto refusal = check_mobility(r, key, wants_tcp(m))) return *refusal;  // RFC 8016
  // The realm's quota limits (coturn's turn_realm_option); no index left for another realm
  // is a quota reached too.
  const auto limits = realm_limits(realm);
  if (!limits) return Reply::error(ErrorCode::kAllocationQuotaReached, key);
  if (m.has<attr::AdditionalAddressFamily>()) {
    return allocate_dual(r, auth, *limits, realm.origin_tag);
  }
  Address ip = relay_ip_for(t, requested_family(t, m));
  if (ip.empty() && !m.has<attr::ReservationToken>()) {
    return Reply::error(ErrorCode::kAddressFamilyNotSupported, key);
  }
  if (!deps_.quotas.acquire(auth.username, t.client, *limits)) {
    return Reply::error(ErrorCode::kAllocationQuotaReached, key);
  }
  std::optional<RelayAllocator::Token> reserved;
  const bool tcp = wants_tcp(m);
  auto relay = tcp ? open_tcp_relay(ip, t.client)
                   : open_relay(ip, m, auth.username, *limits, r.now, &reserved);
  if (!relay) {
    deps_.quotas.release(auth.username, t.client, limits->realm);
    // No port (or no valid reservation).
    return Reply::error(ErrorCode::kInsufficientCapacity, key);
  }
  Seconds lifetime = granted_lifetime(m);
  Allocation& ref = insert_allocation(t, *relay, auth, r.now + lifetime, *limits, realm.origin_tag);
  if (tcp) ref.tcp = std::make_unique<TcpAllocation>();
  Reply reply = Reply::success(key).remembered_in(ref);
  reply.with(attr::XorRelayedAddress{ref.reported});
  reply.with(attr::Lifetime{static_cast<std::uint32_t>(lifetime.count())});
  reply.with(attr::XorMappedAddress{t.client});  // §7.3: the client's server-reflexive address
  if (reserved) reply.with(attr::ReservationToken{*reserved});
  if (m.has<attr::MobilityTicket>()) add_ticket(reply, ref);
  return reply;
}

// RFC 8656 §7.2 step 9, ADDITIONAL-ADDRESS-FAMILY: one IPv4 and one IPv6 relay in one
// allocation. A family that cannot be had (no relay address of it: 440; no port, or no
// total-quota left for a second relay: 508) is named in ADDRESS-ERROR-CODE and the allocation
// goes on with the other; when neither can, the answer is the error. The allocation counts
// once against user-quota and max-allocations-per-ip, its second relay once more against
// total-quota (Quotas::acquire_relay says why).
Reply Dispatcher::allocate_dual(const Request& r, const Auth& auth, const RealmLimits& limits,
                                std::uint16_t origin_tag) {
  const FiveTuple& t = r.tuple;
  const MessageView& m = r.message;
  const auth::MessageKey* key = auth.authenticated ? &auth.key : nullptr;
  const Address ip4 = relay_ip_for(t, Family::kV4);
  const Address ip6 = relay_ip_for(t, Family::kV6);
  if (ip4.empty() && ip6.empty()) return Reply::error(ErrorCode::kAddressFamilyNotSupported, key);
  if (!deps_.quotas.acquire(auth.username, t.client, limits)) {
    return Reply::error(ErrorCode::kAllocationQuotaReached, key);
  }
  std::optional<RelayAllocator::Token> unused;  // no EVEN-PORT R here (checked)
  std::optional<Relay> first;
  std::optional<Relay> second;
  std::optional<attr::AddressErrorCode> failed;
  // IPv4 first: it takes the allocation's quota unit; IPv6 then needs one of its own only if
  // it is the second relay.
  if (ip4.empty()) {
    failed = attr::AddressErrorCode::of(Family::kV4, ErrorCode::kAddressFamilyNotSupported);
  } else if (auto relay = open_relay(ip4, m, auth.username, limits, r.now, &unused)) {
    first = *relay;
  } else {
    failed = attr::AddressErrorCode::of(Family::kV4, ErrorCode::kInsufficientCapacity);
  }
  if (ip6.empty()) {
    failed = attr::AddressErrorCode::of(Family::kV6, ErrorCode::kAddressFamilyNotSupported);
  } else if (first && !deps_.quotas.acquire_relay()) {
    failed = attr::AddressErrorCode::of(Family::kV6, ErrorCode::kInsufficientCapacity);
  } else if (auto relay = open_relay(ip6, m, auth.username, limits, r.now, &unused)) {
    (first ? second : first) = *relay;
  } else {
    if (first) deps_.quotas.release_relay();
    failed = attr::AddressErrorCode::of(Family::kV6, ErrorCode::kInsufficientCapacity);
  }
  if (!first) {
    deps_.quotas.release(auth.username, t.client, limits.realm);
    return Reply::error(ErrorCode::kInsufficientCapacity, key);  // §7.2 step 9: neither
  }
  Seconds lifetime = granted_lifetime(m);
  Allocation& ref = insert_allocation(t, *first, auth, r.now + lifetime, limits, origin_tag);
  Reply reply = Reply::success(key).remembered_in(ref);
  reply.with(attr::XorRelayedAddress{ref.reported});
  if (second) {
    const Address reported = reported_relay_address(second->address);
    allocations_->add_second(ref, *second, reported);
    reply.with(attr::XorRelayedAddress{reported});
  }
  reply.with(attr::Lifetime{static_cast<std::uint32_t>(lifetime.count())});
  reply.with(attr::XorMappedAddress{t.client});
  if (failed) reply.with(*failed);
  if (m.has<attr::MobilityTicket>()) add_ticket(reply, ref);
  return reply;
}

}  // namespace ferry::turn
