// The built-in peer deny list (CONFORMANCE.md "Secure by default"), as one table derived from
// the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890, RFC 8190): every block
// whose "Globally Reachable" is False, plus multicast and the cloud platforms' inside-only
// addresses. docs/deny-list.md is the operator's view of the same table. Internal to ferry_turn.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "ferry/common/address.h"

namespace ferry::turn {

enum class SpecialClass : std::uint8_t {
  kOrdinary,  // in no row: judged only by the operator's lists
  // A registry exception inside a refused block (Globally Reachable: True), e.g. the TURN
  // anycast address 192.0.0.10 inside 192.0.0.0/24: permitted.
  kReachable,
  // A form that only carries IPv4 (mapped, compatible, NAT64, 6to4, Teredo): permitted here
  // because PeerPolicy::permitted() judges the IPv4 address it embeds (embedded_ipv4()).
  kEmbedsIpv4,
  kDenied,    // refused unless allowed-peer-ip names it
  kPrivate,   // refused unless allow_private (RFC 1918, RFC 6598, RFC 4193)
  kLoopback,  // refused unless allow_loopback
};

struct SpecialBlock {
  std::array<std::uint8_t, 16> prefix;  // network-order bytes, host bits zero
  std::uint8_t length;                  // prefix length in bits
  Family family;
  SpecialClass cls;
  const char* text;  // the block as written in the registry, e.g. "2001:db8::/32"
  const char* note;  // where it comes from (RFC, registry row) and why it is refused
};

// The rows, IPv4 first. A lookup takes the longest matching row, so exceptions and the cloud
// addresses inside private ranges override their enclosing block whatever the order.
std::span<const SpecialBlock> special_blocks();

// The class of the longest row containing `a` (kOrdinary when none does). No allocation:
// a scan of the ~45 rows that mostly stops at the first byte; it runs per Send indication.
SpecialClass special_address_class(const Address& a);

// Whether the built-in list refuses `a` under the two switches.
bool special_denied(const Address& a, bool allow_private, bool allow_loopback);

}  // namespace ferry::turn
