// Allocate (RFC 8656 §7.2) as a pipeline of small steps: authenticate, check the 5-tuple,
// validate attributes, take quota, reserve a relay, respond.
#include <memory>

#include "allocation.h"
#include "ferry/stun/attributes.h"
#include "ferry/turn/server.h"

namespace ferry::turn {

using stun::Class;
using stun::MessageBuilder;
using stun::MessageView;
namespace attr = stun::attr;

namespace {

constexpr std::uint8_t kProtocolUdp = 17;  // RFC 8656 §18.2: IANA protocol number

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

bool Server::check_allocate_attributes(const FiveTuple& t, const MessageView& m) {
  auto transport = m.get<attr::RequestedTransport>();
  if (!transport) {
    send_error(t, m, 400);  // §7.2: REQUESTED-TRANSPORT is mandatory
    return false;
  }
  if (transport->protocol != kProtocolUdp) {
    send_error(t, m, 442);  // TCP relaying (RFC 6062) is not offered yet
    return false;
  }
  if (m.has<attr::DontFragment>()) {
    // §7.2: a server that cannot set DF answers 420 naming DONT-FRAGMENT.
    MessageBuilder b(out_, m.method(), Class::kError, m.transaction_id());
    b.add(attr::ErrorCode{420, "Unknown Attribute"});
    attr::UnknownAttributes ua;
    ua.push(attr::DontFragment::kType);
    b.add(ua);
    ++counters_.error_responses;
    finish_and_send(t, m, b, nullptr, nullptr);
    return false;
  }
  const bool token = m.has<attr::ReservationToken>();
  if (token && (m.has<attr::EvenPort>() || m.has<attr::RequestedAddressFamily>())) {
    send_error(t, m, 400);  // §7.2: mutually exclusive with RESERVATION-TOKEN
    return false;
  }
  if (token) {
    send_error(t, m, 508);  // no reservations are held, so no token is valid
    return false;
  }
  if (m.has<attr::RequestedAddressFamily>() && !m.get<attr::RequestedAddressFamily>()) {
    send_error(t, m, 440);  // a family value that is neither IPv4 nor IPv6
    return false;
  }
  return true;
}

Seconds Server::granted_lifetime(const MessageView& m) const {
  // RFC 8656 §7.2: the client may ask for more than the default, up to the server's maximum;
  // a shorter request gets the default. LIFETIME 0xFFFFFFFF is clamped like any other.
  auto l = m.get<attr::Lifetime>();
  if (!l || Seconds(l->seconds) <= settings_.default_lifetime) return settings_.default_lifetime;
  return std::min(Seconds(l->seconds), settings_.max_lifetime);
}

Address Server::reported_relay_address(const Address& bound) const {
  for (const auto& e : settings_.external_ips) {
    if (e.public_ip.family() != bound.family()) continue;
    if (!e.private_ip.empty() && !e.private_ip.same_ip(bound)) continue;
    Address out = e.public_ip;
    out.set_port(bound.port());
    return out;
  }
  return bound;
}

void Server::handle_allocate(const FiveTuple& t, const MessageView& m, TimePoint now) {
  Auth auth;
  if (!authenticate(t, m, now, auth)) return;
  const auth::Md5Key* key = auth.authenticated ? &auth.key : nullptr;
  if (auto it = by_tuple_.find(t); it != by_tuple_.end()) {
    if (replay_cached(t, m, *it->second)) return;
    send_error(t, m, 437, key);  // §7.2: this 5-tuple already has an allocation
    return;
  }
  if (!check_allocate_attributes(t, m)) return;
  // Relay address: the configured relay-ip of the requested family, else the address the
  // request arrived on (§7.2: a server without an address of that family answers 440).
  Family family = requested_family(t, m, settings_.relay_ips);
  Address ip;
  for (const auto& r : settings_.relay_ips) {
    if (r.family() == family) {
      ip = r;
      break;
    }
  }
  if (ip.empty() && settings_.relay_ips.empty() && t.server.family() == family) ip = t.server;
  if (ip.empty()) {
    send_error(t, m, 440, key);
    return;
  }
  if (!deps_.quotas.acquire(auth.username)) {
    send_error(t, m, 486, key);
    return;
  }
  auto relay = deps_.relays.open(ip, m.has<attr::EvenPort>());
  if (!relay) {
    deps_.quotas.release(auth.username);
    send_error(t, m, 508, key);  // port range exhausted
    return;
  }
  auto a = std::make_unique<Allocation>();
  a->tuple = t;
  a->relay = *relay;
  a->reported = reported_relay_address(relay->address);
  Seconds lifetime = granted_lifetime(m);
  a->expires = now + lifetime;
  a->username = std::string(auth.username);
  a->key = auth.key;
  a->authenticated = auth.authenticated;
  Allocation& ref = *a;
  by_relay_[relay->id] = &ref;
  by_tuple_.emplace(t, std::move(a));
  ++counters_.allocations_created;

  MessageBuilder b(out_, m.method(), Class::kSuccess, m.transaction_id());
  b.add(attr::XorRelayedAddress{ref.reported});
  b.add(attr::Lifetime{static_cast<std::uint32_t>(lifetime.count())});
  b.add(attr::XorMappedAddress{t.client});  // §7.3: the client's server-reflexive address
  if (auto extra = m.get<attr::AdditionalAddressFamily>()) {
    // RFC 8656 §7.2: one family per allocation for now; say so for the additional one.
    b.add(attr::AddressErrorCode{extra->family, 440, "Address Family not Supported"});
  }
  finish_and_send(t, m, b, key, &ref);
}

}  // namespace ferry::turn
