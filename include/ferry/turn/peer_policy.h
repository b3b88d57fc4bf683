// Which peer addresses an allocation may reach (CONFORMANCE.md "Secure by default").
// Normalise first, then decide, and decide the same way on every path: CreatePermission,
// ChannelBind and Send all call PeerPolicy::check() on the XOR-PEER-ADDRESS as received, and
// ChannelData and peer data re-check relay-to-relay permissions against the open relays.
#pragma once

#include <optional>
#include <span>
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
  bool operator==(const AddressRange&) const = default;
};

// The IPv4 address an IPv6 address embeds, for the forms that reach IPv4 hosts:
// ::ffff:a.b.c.d (mapped), ::a.b.c.d (compatible), 64:ff9b::/96 (NAT64, RFC 6052),
// 2002:AABB:CCDD::/48 (6to4, RFC 3056). Teredo (2001:0::/32, RFC 4380) embeds two, see below.
std::optional<Address> embedded_ipv4(const Address& a);

// external-ip=PUBLIC[/PRIVATE]: PUBLIC is this host's address too (1:1 NAT), and a relay bound
// to PRIVATE (any relay of PUBLIC's family when PRIVATE is empty) is reached as PUBLIC:port.
struct PublicAlias {
  Address public_ip;
  Address private_ip;
  bool operator==(const PublicAlias&) const = default;
};

struct PeerPolicySettings {
  std::vector<AddressRange> allowed;  // allowed-peer-ip: wins over every deny
  std::vector<AddressRange> denied;   // denied-peer-ip
  bool allow_loopback = false;        // allow-loopback-peers (for tests)
  // Multicast (224.0.0.0/4, ff00::/8) is always denied: relaying to a group amplifies.
  // RFC 1918, 100.64.0.0/10 and fc00::/7 peers. Denied by default for internet-facing use;
  // an operator relaying inside a private network opts in (allowed-peer-ip works too).
  bool allow_private = false;
  // The server's own listening endpoints (port 0: every port): never a peer, whatever else
  // allows it (no relaying to ourselves).
  std::vector<Address> own_addresses;
  // From external-ip (computed in the configuration step).
  std::vector<PublicAlias> public_aliases;
  bool operator==(const PeerPolicySettings&) const = default;
};

// How a peer address is permitted. kPermittedRelay: only because it is an open relay of this
// server (relay_registry.h); such a permission or channel is good only while that relay stays
// open, so the data path checks the registry again (issue 16 item 7).
enum class PeerVerdict { kRefused, kPermitted, kPermittedRelay };

class PeerPolicy {
 public:
  // `open_relays` (may be null): this server's relays, which are permitted peers even on
  // otherwise refused addresses, unless denied-peer-ip names them (relay_registry.h).
  explicit PeerPolicy(PeerPolicySettings s, const RelayRegistry* open_relays = nullptr);
  PeerVerdict check(const Address& peer) const;
  bool permitted(const Address& peer) const { return check(peer) != PeerVerdict::kRefused; }
  // True while `peer` is an open relay of this server (the data path's re-check).
  bool open_relay(const Address& peer) const;
  // True when `peer` is one of the server's own listening endpoints: the only refusal that
  // depends on the port of an otherwise permitted address (the data path's re-check).
  bool own_endpoint(const Address& peer) const {
    for (const auto& own : s_.own_addresses) {
      if (own.same_ip(peer) && (own.port() == 0 || own.port() == peer.port())) return true;
    }
    return false;
  }

  // The host's own addresses now (every interface; the network layer refreshes them when they
  // change). Refused as peers on every port: traffic a relay sends to them is delivered
  // locally, past firewalls that trust `lo` (CONFORMANCE.md "Secure by default"). Loopback
  // (127.0.0.0/8, ::1) and external-ip's public addresses count as the host's always.
  // Returns whether the set changed.
  bool set_host_addresses(std::vector<Address> ips);

 private:
  bool permitted_normally(std::span<const Address> forms) const;
  bool host_address(const Address& a) const;
  bool named_alone(const Address& a) const;
  bool permitted_one(const Address& a) const;
  bool default_denied(const Address& a) const;
  PeerPolicySettings s_;
  const RelayRegistry* open_relays_;
  std::vector<Address> host_;
};

}  // namespace ferry::turn
