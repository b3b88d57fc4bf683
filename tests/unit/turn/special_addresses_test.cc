// The built-in deny list derived from the IANA special-purpose address registries
// (special_addresses.cc, docs/deny-list.md), asserted through PeerPolicy::permitted(): the
// blocks the hand-written list of 7b1c093 let through (issue 16 item 8), the registry's
// reachable exceptions, and the two ways to open a block.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ferry/turn/peer_policy.h"
#include "special_addresses.h"

namespace ferry::turn {
namespace {

Address ip(const std::string& text) {
  auto a = Address::parse_endpoint(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(Address{});
}

struct Block {
  const char* first;
  const char* last;
};

// Not globally reachable per the registries, or inside-only cloud addresses: first and last
// address of each. 7b1c093 permitted all but the two cloud addresses inside private ranges
// (refused there only while allow_private is off, see below).
const std::vector<Block> kNewlyDenied = {
    {"168.63.129.16", "168.63.129.16"},      // Azure platform DNS / wire server
    {"192.0.0.0", "192.0.0.8"},              // RFC 6890 §2.1, up to the first exception
    {"192.0.0.11", "192.0.0.255"},           // ... and after the second
    {"192.0.2.0", "192.0.2.255"},            // RFC 5737 TEST-NET-1
    {"192.88.99.0", "192.88.99.255"},        // RFC 7526 deprecated 6to4 relay anycast
    {"198.18.0.0", "198.19.255.255"},        // RFC 2544 benchmarking
    {"198.51.100.0", "198.51.100.255"},      // RFC 5737 TEST-NET-2
    {"203.0.113.0", "203.0.113.255"},        // RFC 5737 TEST-NET-3
    {"100.100.100.200", "100.100.100.200"},  // Alibaba Cloud metadata (refused by 100.64/10 too)
    {"[2001:db8::]", "[2001:db8:ffff:ffff:ffff:ffff:ffff:ffff]"},  // RFC 3849
    {"[3fff::]", "[3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff]"},      // RFC 9637
    {"[100::]", "[100::ffff:ffff:ffff:ffff]"},                     // RFC 6666 discard-only
    {"[100:0:0:1::]", "[100::1:ffff:ffff:ffff:ffff]"},             // RFC 9780 dummy prefix
    {"[::ffff:0:0:0]", "[::ffff:0:ffff:ffff]"},                    // SIIT IPv4-translated
    {"[5f00::]", "[5f00:ffff:ffff:ffff:ffff:ffff:ffff:ffff]"},     // RFC 9602 SRv6 SIDs
    // RFC 2928 IETF protocol assignments, around the reachable exceptions inside it.
    {"[2001:1::]", "[2001:1::]"},
    {"[2001:1::4]", "[2001:2:ffff:ffff:ffff:ffff:ffff:ffff]"},
    {"[2001:4::]", "[2001:4:111:ffff:ffff:ffff:ffff:ffff]"},
    {"[2001:4:113::]", "[2001:1f:ffff:ffff:ffff:ffff:ffff:ffff]"},
    {"[2001:40::]", "[2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff]"},
    {"[fd00:ec2::254]", "[fd00:ec2::254]"},  // AWS metadata (refused by fc00::/7 too)
};

// The registry's "Globally Reachable: True" rows inside refused blocks, and ordinary addresses.
const std::vector<const char*> kPermitted = {
    "192.0.0.9",   // RFC 7723 PCP anycast
    "192.0.0.10",  // RFC 8155 TURN anycast
    "[2001:1::1]",
    "[2001:1::2]",
    "[2001:1::3]",
    "[2001:3::]",
    "[2001:3:ffff:ffff:ffff:ffff:ffff:ffff]",  // RFC 7450 AMT
    "[2001:4:112::]",
    "[2001:4:112:ffff:ffff:ffff:ffff:ffff]",  // RFC 7535 AS112-v6
    "[2001:20::]",
    "[2001:2f:ffff:ffff:ffff:ffff:ffff:ffff]",  // RFC 7343 ORCHIDv2
    "[2001:30::]",
    "[2001:3f:ffff:ffff:ffff:ffff:ffff:ffff]",  // RFC 9374 DETs
    "192.31.196.1",
    "192.52.193.1",
    "192.175.48.1",
    "[2620:4f:8000::1]",  // reachable anyway
    "8.8.8.8",
    "1.1.1.1",
    "100.63.255.255",
    "100.128.0.0",
    "198.17.255.255",
    "198.20.0.0",
    "192.0.1.255",
    "192.0.3.0",
    "168.63.129.15",
    "168.63.129.17",
    "[2606:4700:4700::1111]",
    "[2001:200::1]",
    "[2001:db7:ffff::1]",
    "[2001:db9::1]",
    "[3fff:1000::1]",
    "[2a00::1]",
    // Judged by the IPv4 they carry: Teredo, 6to4, NAT64 and mapped forms of 8.8.8.8.
    "[2001:0:808:808::f7f7:f7f7]",
    "[2002:808:808::1]",
    "[64:ff9b::808:808]",
    "[::ffff:8.8.8.8]",
};

class SpecialAddressesTest : public ::testing::Test {
 protected:
  static PeerPolicy policy(PeerPolicySettings s = {}) { return PeerPolicy(std::move(s)); }
};

TEST_F(SpecialAddressesTest, NewlyDeniedBlocksAreRefusedFirstToLast) {
  const auto p = policy();
  for (const auto& b : kNewlyDenied) {
    EXPECT_FALSE(p.permitted(ip(b.first))) << b.first;
    EXPECT_FALSE(p.permitted(ip(b.last))) << b.last;
  }
}

// The same blocks reached through the IPv6 forms that embed them.
TEST_F(SpecialAddressesTest, EmbeddedFormsOfNewlyDeniedBlocksAreRefused) {
  const auto p = policy();
  for (const char* form : {"[::ffff:168.63.129.16]", "[64:ff9b::a83f:8110]", "[2002:a83f:8110::1]",
                           "[::ffff:192.0.2.1]", "[64:ff9b::c612:1]", "[2002:c000:0001::1]"}) {
    EXPECT_FALSE(p.permitted(ip(form))) << form;
  }
}

TEST_F(SpecialAddressesTest, RegistryExceptionsAndPublicAddressesArePermitted) {
  const auto p = policy();
  for (const char* ok : kPermitted) {
    EXPECT_TRUE(p.permitted(ip(ok))) << ok;
  }
}

TEST_F(SpecialAddressesTest, AllowPrivateOpensPrivateRangesButNotCloudMetadata) {
  const auto p = policy({.allow_private = true});
  for (const char* opened : {"10.0.0.1", "10.255.255.255", "172.16.0.1", "192.168.255.255",
                             "100.64.0.0", "100.127.255.255", "100.100.100.199", "[fc00::]",
                             "[fd00:ec2::253]", "[fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]"}) {
    EXPECT_TRUE(p.permitted(ip(opened))) << opened;
  }
  for (const char* closed : {"168.63.129.16", "[fd00:ec2::254]", "100.100.100.200",
                             "169.254.169.254", "127.0.0.1", "192.0.2.1"}) {
    EXPECT_FALSE(p.permitted(ip(closed))) << closed;
  }
}

TEST_F(SpecialAddressesTest, AllowLoopbackOpensOnlyLoopback) {
  const auto p = policy({.allow_loopback = true});
  EXPECT_TRUE(p.permitted(ip("127.255.255.255")));
  EXPECT_TRUE(p.permitted(ip("[::1]")));
  EXPECT_FALSE(p.permitted(ip("[::]")));
  EXPECT_FALSE(p.permitted(ip("10.0.0.1")));
}

// allowed-peer-ip wins over every built-in row, including the cloud addresses.
TEST_F(SpecialAddressesTest, AllowedPeerIpOpensAnyBlock) {
  PeerPolicySettings s;
  for (const auto& b : kNewlyDenied) {
    auto lo = ip(b.first);
    auto hi = ip(b.last);
    s.allowed.push_back(AddressRange{lo, hi});
  }
  const auto p = policy(s);
  for (const auto& b : kNewlyDenied) {
    EXPECT_TRUE(p.permitted(ip(b.first))) << b.first;
    EXPECT_TRUE(p.permitted(ip(b.last))) << b.last;
  }
  const auto one = policy({.allowed = {*AddressRange::parse("168.63.129.16")}});
  EXPECT_TRUE(one.permitted(ip("168.63.129.16")));
  EXPECT_FALSE(one.permitted(ip("192.0.2.1")));
}

// Each row's bytes say what its text says (a typo in a prefix byte would silently open a block),
// and both ends of a row get the row's class unless a longer row claims them.
TEST_F(SpecialAddressesTest, EveryRowMatchesItsRegistryText) {
  const auto rows = special_blocks();
  auto inside_longer_row = [&](const Address& a, unsigned length) {
    for (const auto& other : rows) {
      auto r = AddressRange::parse(other.text);
      if (other.length > length && r && r->contains(a)) return true;
    }
    return false;
  };
  for (const auto& b : rows) {
    auto range = AddressRange::parse(b.text);
    ASSERT_TRUE(range) << b.text;
    EXPECT_EQ(range->lo.family(), b.family) << b.text;
    auto expected = Address::from_bytes(Bytes(b.prefix.data(), range->lo.ip_len()), 0);
    EXPECT_TRUE(range->lo.same_ip(expected)) << b.text << " bytes say " << expected.ip_string();
    for (const Address& end : {range->lo, range->hi}) {
      if (inside_longer_row(end, b.length)) continue;
      EXPECT_EQ(special_address_class(end), b.cls) << b.text << " at " << end.ip_string();
    }
  }
}

}  // namespace
}  // namespace ferry::turn
