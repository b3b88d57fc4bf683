// The built-in deny list as data. Sources: the IANA IPv4 and IPv6 Special-Purpose Address
// Registries (https://www.iana.org/assignments/iana-ipv4-special-registry,
// .../iana-ipv6-special-registry; structure from RFC 6890, "Globally Reachable" from RFC 8190),
// the multicast ranges, and cloud metadata addresses. A registry row is listed here only when it
// changes the outcome: sub-blocks that are refused like their parent (192.0.0.0/29,
// 192.0.0.8/32, 192.0.0.170/32, 2001:2::/48, 2001:10::/28, ...) are in docs/deny-list.md only.
#include "special_addresses.h"

namespace ferry::turn {

namespace {

using C = SpecialClass;
constexpr Family k4 = Family::kV4;
constexpr Family k6 = Family::kV6;

// clang-format off
constexpr std::array kBlocks{
    // IPv4 (IANA IPv4 Special-Purpose Address Registry unless noted).
    SpecialBlock{{0}, 8, k4, C::kDenied, "0.0.0.0/8",
                 "RFC 791, RFC 1122 §3.2.1.3: \"this network\"; Linux reaches the host itself"},
    SpecialBlock{{10}, 8, k4, C::kPrivate, "10.0.0.0/8", "RFC 1918 private-use"},
    SpecialBlock{{100, 64}, 10, k4, C::kPrivate, "100.64.0.0/10",
                 "RFC 6598 shared address space (carrier-grade NAT)"},
    SpecialBlock{{100, 100, 100, 200}, 32, k4, C::kDenied, "100.100.100.200/32",
                 "Alibaba Cloud instance metadata: refused even with allow_private"},
    SpecialBlock{{127}, 8, k4, C::kLoopback, "127.0.0.0/8", "RFC 1122 §3.2.1.3 loopback"},
    SpecialBlock{{168, 63, 129, 16}, 32, k4, C::kDenied, "168.63.129.16/32",
                 "Azure platform DNS, DHCP and wire server: answers only from inside Azure"},
    SpecialBlock{{169, 254}, 16, k4, C::kDenied, "169.254.0.0/16",
                 "RFC 3927 link-local; holds 169.254.169.254, the cloud metadata service"},
    SpecialBlock{{172, 16}, 12, k4, C::kPrivate, "172.16.0.0/12", "RFC 1918 private-use"},
    SpecialBlock{{192, 0, 0}, 24, k4, C::kDenied, "192.0.0.0/24",
                 "RFC 6890 §2.1 IETF protocol assignments (DS-Lite RFC 7335, dummy RFC 7600, "
                 "NAT64 discovery RFC 8880)"},
    SpecialBlock{{192, 0, 0, 9}, 32, k4, C::kReachable, "192.0.0.9/32",
                 "RFC 7723 PCP anycast: globally reachable"},
    SpecialBlock{{192, 0, 0, 10}, 32, k4, C::kReachable, "192.0.0.10/32",
                 "RFC 8155 TURN anycast: globally reachable"},
    SpecialBlock{{192, 0, 2}, 24, k4, C::kDenied, "192.0.2.0/24", "RFC 5737 TEST-NET-1"},
    SpecialBlock{{192, 88, 99}, 24, k4, C::kDenied, "192.88.99.0/24",
                 "RFC 7526: deprecated 6to4 relay anycast (with RFC 6751's 192.88.99.2)"},
    SpecialBlock{{192, 168}, 16, k4, C::kPrivate, "192.168.0.0/16", "RFC 1918 private-use"},
    SpecialBlock{{198, 18}, 15, k4, C::kDenied, "198.18.0.0/15", "RFC 2544 benchmarking"},
    SpecialBlock{{198, 51, 100}, 24, k4, C::kDenied, "198.51.100.0/24", "RFC 5737 TEST-NET-2"},
    SpecialBlock{{203, 0, 113}, 24, k4, C::kDenied, "203.0.113.0/24", "RFC 5737 TEST-NET-3"},
    SpecialBlock{{224}, 4, k4, C::kDenied, "224.0.0.0/4",
                 "RFC 5771 multicast (not in the registry): relaying to a group amplifies"},
    SpecialBlock{{240}, 4, k4, C::kDenied, "240.0.0.0/4", "RFC 1112 §4 reserved"},
    SpecialBlock{{255, 255, 255, 255}, 32, k4, C::kDenied, "255.255.255.255/32",
                 "RFC 919 §7, RFC 8190 limited broadcast"},

    // IPv6 (IANA IPv6 Special-Purpose Address Registry unless noted).
    SpecialBlock{{}, 96, k6, C::kEmbedsIpv4, "::/96",
                 "RFC 4291 §2.5.5.1 IPv4-compatible (deprecated): judged by its IPv4"},
    SpecialBlock{{}, 128, k6, C::kDenied, "::/128", "RFC 4291 unspecified address"},
    SpecialBlock{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, k6, C::kLoopback,
                 "::1/128", "RFC 4291 loopback"},
    SpecialBlock{{0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF}, 96, k6, C::kDenied, "::ffff:0:0:0/96",
                 "RFC 2765 §2.1 SIIT IPv4-translated (not in the registry; not routed)"},
    SpecialBlock{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF}, 96, k6, C::kEmbedsIpv4,
                 "::ffff:0:0/96", "RFC 4291 IPv4-mapped: judged by its IPv4"},
    SpecialBlock{{0x00, 0x64, 0xFF, 0x9B}, 96, k6, C::kEmbedsIpv4, "64:ff9b::/96",
                 "RFC 6052 NAT64 well-known prefix (globally reachable): judged by its IPv4"},
    SpecialBlock{{0x00, 0x64, 0xFF, 0x9B, 0x00, 0x01}, 48, k6, C::kDenied, "64:ff9b:1::/48",
                 "RFC 8215 local-use IPv4/IPv6 translation"},
    SpecialBlock{{0x01, 0x00}, 64, k6, C::kDenied, "100::/64", "RFC 6666 discard-only"},
    SpecialBlock{{0x01, 0x00, 0, 0, 0, 0, 0x00, 0x01}, 64, k6, C::kDenied, "100:0:0:1::/64",
                 "RFC 9780 dummy IPv6 prefix"},
    SpecialBlock{{0x20, 0x01}, 23, k6, C::kDenied, "2001::/23",
                 "RFC 2928 IETF protocol assignments (benchmarking RFC 5180, ORCHID RFC 4843)"},
    SpecialBlock{{0x20, 0x01, 0x00, 0x00}, 32, k6, C::kEmbedsIpv4, "2001::/32",
                 "RFC 4380 Teredo (reachability N/A): judged by its server and client IPv4"},
    SpecialBlock{{0x20, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01}, 128, k6,
                 C::kReachable, "2001:1::1/128", "RFC 7723 PCP anycast: globally reachable"},
    SpecialBlock{{0x20, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02}, 128, k6,
                 C::kReachable, "2001:1::2/128", "RFC 8155 TURN anycast: globally reachable"},
    SpecialBlock{{0x20, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x03}, 128, k6,
                 C::kReachable, "2001:1::3/128",
                 "RFC 9665 DNS-SD SRP anycast: globally reachable"},
    SpecialBlock{{0x20, 0x01, 0x00, 0x03}, 32, k6, C::kReachable, "2001:3::/32",
                 "RFC 7450 AMT: globally reachable"},
    SpecialBlock{{0x20, 0x01, 0x00, 0x04, 0x01, 0x12}, 48, k6, C::kReachable, "2001:4:112::/48",
                 "RFC 7535 AS112-v6: globally reachable"},
    SpecialBlock{{0x20, 0x01, 0x00, 0x20}, 28, k6, C::kReachable, "2001:20::/28",
                 "RFC 7343 ORCHIDv2: globally reachable"},
    SpecialBlock{{0x20, 0x01, 0x00, 0x30}, 28, k6, C::kReachable, "2001:30::/28",
                 "RFC 9374 drone remote ID (DET): globally reachable"},
    SpecialBlock{{0x20, 0x01, 0x0D, 0xB8}, 32, k6, C::kDenied, "2001:db8::/32",
                 "RFC 3849 documentation"},
    SpecialBlock{{0x20, 0x02}, 16, k6, C::kEmbedsIpv4, "2002::/16",
                 "RFC 3056 6to4 (reachability N/A): judged by its IPv4"},
    SpecialBlock{{0x3F, 0xFF}, 20, k6, C::kDenied, "3fff::/20", "RFC 9637 documentation"},
    SpecialBlock{{0x5F, 0x00}, 16, k6, C::kDenied, "5f00::/16", "RFC 9602 SRv6 SIDs"},
    SpecialBlock{{0xFC}, 7, k6, C::kPrivate, "fc00::/7", "RFC 4193 unique-local"},
    SpecialBlock{{0xFD, 0x00, 0x0E, 0xC2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54}, 128, k6,
                 C::kDenied, "fd00:ec2::254/128",
                 "AWS instance metadata over IPv6: refused even with allow_private"},
    SpecialBlock{{0xFE, 0x80}, 10, k6, C::kDenied, "fe80::/10", "RFC 4291 link-local"},
    SpecialBlock{{0xFE, 0xC0}, 10, k6, C::kDenied, "fec0::/10",
                 "RFC 3879 site-local (deprecated; not in the registry)"},
    SpecialBlock{{0xFF}, 8, k6, C::kDenied, "ff00::/8",
                 "RFC 4291 §2.7 multicast (not in the registry): relaying to a group amplifies"},
};
// clang-format on

constexpr bool contains(const SpecialBlock& b, const std::array<std::uint8_t, 16>& ip) {
  const unsigned whole = b.length / 8u;
  for (unsigned i = 0; i < whole; ++i) {
    if (ip[i] != b.prefix[i]) return false;
  }
  const unsigned bits = b.length % 8u;
  if (bits == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xFF << (8 - bits));
  return (ip[whole] & mask) == b.prefix[whole];
}

// Every row is a well-formed prefix: a typo that sets host bits would never match.
constexpr bool canonical(const SpecialBlock& b) {
  const unsigned width = b.family == Family::kV4 ? 32u : 128u;
  if (b.length > width) return false;
  for (unsigned bit = b.length; bit < 128; ++bit) {
    if ((b.prefix[bit / 8] >> (7 - bit % 8)) & 1u) return false;
  }
  return true;
}

constexpr bool all_canonical() {
  for (const auto& b : kBlocks) {
    if (!canonical(b)) return false;
  }
  return true;
}
static_assert(all_canonical(), "a special-address row has bits set beyond its length");

}  // namespace

std::span<const SpecialBlock> special_blocks() {
  return kBlocks;
}

SpecialClass special_address_class(const Address& a) {
  SpecialClass found = SpecialClass::kOrdinary;
  int best = -1;
  for (const auto& b : kBlocks) {
    if (b.family == a.family() && b.length > best && contains(b, a.raw())) {
      best = b.length;
      found = b.cls;
    }
  }
  return found;
}

bool special_denied(const Address& a, bool allow_private, bool allow_loopback) {
  switch (special_address_class(a)) {
    case SpecialClass::kOrdinary:
    case SpecialClass::kReachable:
    case SpecialClass::kEmbedsIpv4:
      return false;
    case SpecialClass::kDenied:
      return true;
    case SpecialClass::kPrivate:
      return !allow_private;
    case SpecialClass::kLoopback:
      return !allow_loopback;
  }
  return true;  // unreachable: the switch is exhaustive (-Wswitch-enum)
}

}  // namespace ferry::turn
