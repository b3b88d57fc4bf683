// Which peer addresses an allocation may reach (CONFORMANCE.md "Secure by default").
// Normalise first, then decide, and decide the same way on every path: CreatePermission,
// ChannelBind and Send all call PeerPolicy::permitted() on the XOR-PEER-ADDRESS as received.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "ferry/common/address.h"
#include "ferry/turn/relay_registry.h"

namespace ferry::turn {

// An inclusive range of addresses of one family, compared as 128-bit (or 32-bit) big-endian
// numbers: lexicographic order of the network-order bytes is numeric order.
struct AddressRange {
  Address lo;
  Address hi;
  bool contains(const Address& a) const;
  // "192.0.2.1", "192.0.2.1-192.0.2.9", "10.0.0.0/8", "2001:db8::/32".
  static std::optional<AddressRange> parse(std::string_view text);
};

// The IPv4 address an IPv6 address embeds, for the forms that reach IPv4 hosts:
// ::ffff:a.b.c.d (mapped), ::a.b.c.d (compatible), 64:ff9b::/96 (NAT64, RFC 6052),
// 2002:AABB:CCDD::/48 (6to4, RFC 3056). Teredo (2001:0::/32, RFC 4380) embeds two, see below.
std::optional<Address> embedded_ipv4(const Address& a);

struct PeerPolicySettings {
  std::vector<AddressRange> allowed;  // allowed-peer-ip: wins over every deny
  std::vector<AddressRange> denied;   // denied-peer-ip
  bool allow_loopback = false;        // allow-loopback-peers (for tests)
  // Multicast (224.0.0.0/4, ff00::/8) is always denied: relaying to a group amplifies.
  // RFC 1918, 100.64.0.0/10 and fc00::/7 peers. Denied by default for internet-facing use;
  // an operator relaying inside a private network opts in (allowed-peer-ip works too).
  bool allow_private = false;
  // The server's own listening and relay addresses: never a peer (no relaying to ourselves).
  std::vector<Address> own_addresses;
};

class PeerPolicy {
 public:
  // `open_relays` (may be null): this server's relays, which are permitted peers even on
  // otherwise refused addresses, unless denied-peer-ip names them (relay_registry.h).
  explicit PeerPolicy(PeerPolicySettings s, const RelayRegistry* open_relays = nullptr)
      : s_(std::move(s)), open_relays_(open_relays) {}
  bool permitted(const Address& peer) const;

 private:
  bool permitted_one(const Address& a) const;
  bool default_denied(const Address& a) const;
  PeerPolicySettings s_;
  const RelayRegistry* open_relays_;
};

}  // namespace ferry::turn
