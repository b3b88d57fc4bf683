#include "ferry/turn/peer_policy.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "special_addresses.h"

namespace ferry::turn {

namespace {

int compare_ip(const Address& a, const Address& b) {
  return std::memcmp(a.raw().data(), b.raw().data(), a.ip_len());
}

// `prefix` leading bits of `a` equal those of `net` (missing bytes of `net` are zero).
bool in_prefix(const Address& a, std::initializer_list<std::uint8_t> net, unsigned prefix) {
  const std::uint8_t* bytes = net.begin();
  for (std::size_t i = 0; prefix > 0; ++i) {
    std::uint8_t want = i < net.size() ? bytes[i] : 0;
    unsigned bits = prefix >= 8 ? 8 : prefix;
    auto mask = static_cast<std::uint8_t>(0xFF << (8 - bits));
    if ((a.raw()[i] & mask) != (want & mask)) return false;
    prefix -= bits;
  }
  return true;
}

Address v4_at(const Address& a, std::size_t off, std::uint8_t flip = 0) {
  return Address::v4({static_cast<std::uint8_t>(a.raw()[off] ^ flip),
                      static_cast<std::uint8_t>(a.raw()[off + 1] ^ flip),
                      static_cast<std::uint8_t>(a.raw()[off + 2] ^ flip),
                      static_cast<std::uint8_t>(a.raw()[off + 3] ^ flip)},
                     0);
}

bool is_teredo(const Address& a) {
  return a.is_v6() && in_prefix(a, {0x20, 0x01, 0, 0}, 32);
}

}  // namespace

bool AddressRange::contains(const Address& a) const {
  return a.family() == lo.family() && compare_ip(lo, a) <= 0 && compare_ip(a, hi) <= 0;
}

std::optional<AddressRange> AddressRange::parse(std::string_view text) {
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    auto ip = Address::parse_ip(text.substr(0, slash));
    auto len_text = text.substr(slash + 1);
    if (!ip || len_text.empty() || len_text.size() > 3) return std::nullopt;
    unsigned len = 0;
    for (char c : len_text) {
      if (c < '0' || c > '9') return std::nullopt;
      len = len * 10 + static_cast<unsigned>(c - '0');
    }
    if (len > ip->ip_len() * 8) return std::nullopt;
    auto lo = ip->raw();
    auto hi = ip->raw();
    for (std::size_t i = 0; i < ip->ip_len(); ++i) {
      unsigned keep = len >= 8 * (i + 1) ? 8 : len > 8 * i ? len - 8 * static_cast<unsigned>(i) : 0;
      auto mask = static_cast<std::uint8_t>(keep == 0 ? 0 : 0xFF << (8 - keep));
      lo[i] = static_cast<std::uint8_t>(lo[i] & mask);
      hi[i] = static_cast<std::uint8_t>(hi[i] | ~mask);
    }
    Bytes lo_b(lo.data(), ip->ip_len()), hi_b(hi.data(), ip->ip_len());
    return AddressRange{Address::from_bytes(lo_b, 0), Address::from_bytes(hi_b, 0)};
  }
  if (auto dash = text.find('-'); dash != std::string_view::npos) {
    auto lo = Address::parse_ip(text.substr(0, dash));
    auto hi = Address::parse_ip(text.substr(dash + 1));
    if (!lo || !hi || lo->family() != hi->family() || compare_ip(*lo, *hi) > 0) {
      return std::nullopt;
    }
    return AddressRange{*lo, *hi};
  }
  auto ip = Address::parse_ip(text);
  if (!ip) return std::nullopt;
  return AddressRange{*ip, *ip};
}

std::optional<Address> embedded_ipv4(const Address& a) {
  if (!a.is_v6()) return std::nullopt;
  if (in_prefix(a, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF}, 96)) return v4_at(a, 12);
  // ::a.b.c.d (deprecated compatible form); :: and ::1 are IPv6's own and judged as such.
  if (in_prefix(a, {}, 96) && !a.is_any() && !a.is_loopback()) return v4_at(a, 12);
  if (in_prefix(a, {0x00, 0x64, 0xFF, 0x9B}, 96)) return v4_at(a, 12);  // RFC 6052 NAT64
  if (in_prefix(a, {0x20, 0x02}, 16)) return v4_at(a, 2);               // RFC 3056 6to4
  return std::nullopt;
}

bool PeerPolicy::default_denied(const Address& a) const {
  // The IANA special-purpose registries' non-reachable blocks, multicast and cloud metadata
  // addresses, as one table (special_addresses.cc, docs/deny-list.md).
  return special_denied(a, s_.allow_private, s_.allow_loopback);
}

bool PeerPolicy::permitted_one(const Address& a) const {
  for (const auto& r : s_.denied) {
    if (r.contains(a)) return false;
  }
  return !default_denied(a);
}

PeerPolicy::PeerPolicy(PeerPolicySettings s, const RelayRegistry* open_relays)
    : s_(std::move(s)), open_relays_(open_relays) {
  set_host_addresses({});
}

bool PeerPolicy::set_host_addresses(std::vector<Address> ips) {
  for (const auto& alias : s_.public_aliases) ips.push_back(alias.public_ip);
  for (auto& a : ips) a.set_port(0);
  std::sort(ips.begin(), ips.end(), [](const Address& x, const Address& y) {
    return x.family() != y.family() ? x.family() < y.family() : x.raw() < y.raw();
  });
  if (ips == host_) return false;
  host_ = std::move(ips);
  return true;
}

bool PeerPolicy::host_address(const Address& a) const {
  // Loopback is this host whatever the interface list says (all of 127.0.0.0/8 is delivered
  // locally), and so is the unspecified address.
  if (a.is_loopback() || a.is_any()) return true;  // is_loopback(): 127/8 or ::1
  for (const auto& h : host_) {
    if (h.same_ip(a)) return true;
  }
  return false;
}

// An allowed-peer-ip entry of exactly this one address: the operator names a service of this
// host on purpose. A range that merely contains one of the host's addresses does not open it.
bool PeerPolicy::named_alone(const Address& a) const {
  for (const auto& r : s_.allowed) {
    if (r.lo.same_ip(a) && r.hi.same_ip(a)) return true;
  }
  return false;
}

bool PeerPolicy::permitted_normally(std::span<const Address> forms) const {
  for (const auto& f : forms) {
    const bool loopback_opened = s_.allow_loopback && f.is_loopback();
    if (host_address(f) && !loopback_opened && !named_alone(f)) return false;
  }
  // Every address the peer reaches must pass, each either named by allowed-peer-ip (which
  // wins over every other deny, coturn semantics) or not denied. "Any form allowed" once let
  // a Teredo address whose server part was allowed carry a denied client part.
  for (const auto& f : forms) {
    bool allowed = false;
    for (const auto& r : s_.allowed) allowed = allowed || r.contains(f);
    if (!allowed && !permitted_one(f)) return false;
  }
  return true;
}

bool PeerPolicy::open_relay(const Address& peer) const {
  if (open_relays_ == nullptr) return false;
  if (open_relays_->contains(peer)) return true;
  // A relay reported through external-ip is reached at its public address.
  for (const auto& alias : s_.public_aliases) {
    if (!alias.public_ip.same_ip(peer)) continue;
    if (!alias.private_ip.empty()) {
      Address inside = alias.private_ip;
      inside.set_port(peer.port());
      if (open_relays_->contains(inside)) return true;
    } else if (open_relays_->contains_port(peer.family(), peer.port())) {
      return true;
    }
  }
  return false;
}

PeerVerdict PeerPolicy::check(const Address& peer) const {
  if (peer.empty()) return PeerVerdict::kRefused;
  // The server's own listening endpoints: relaying to them would loop through ourselves.
  if (own_endpoint(peer)) return PeerVerdict::kRefused;
  // Normalise first: every IPv4 address this peer reaches is judged too (the IPv4 embedded in
  // mapped, compatible, NAT64 and 6to4 forms; Teredo's server and obfuscated client).
  std::array<Address, 3> forms{peer};
  std::size_t n = 1;
  if (auto v4 = embedded_ipv4(peer)) forms[n++] = *v4;
  if (is_teredo(peer)) {
    forms[n++] = v4_at(peer, 4);
    forms[n++] = v4_at(peer, 12, 0xFF);  // RFC 4380 §4: client address bits are inverted
  }
  if (permitted_normally(std::span<const Address>(forms.data(), n))) {
    return PeerVerdict::kPermitted;
  }
  // Another allocation's relay on this server (the address exactly as the relay has it, or
  // its external-ip form): clients relayed through the same server reach each other, and
  // nothing else on that address. The operator's deny list still applies; the built-in one
  // is for addresses that are not ours.
  if (open_relay(peer)) {
    for (const auto& r : s_.denied) {
      if (r.contains(peer)) return PeerVerdict::kRefused;
    }
    return PeerVerdict::kPermittedRelay;
  }
  return PeerVerdict::kRefused;
}

}  // namespace ferry::turn
