// CONFORMANCE.md "Secure by default": the peer filter, normalised first, numeric ranges.
#include "ferry/turn/peer_policy.h"

#include <gtest/gtest.h>

namespace ferry::turn {
namespace {

Address ip(const char* text) {
  return *Address::parse_endpoint(text);
}

TEST(AddressRange, ParsesSingleRangeAndCidr) {
  auto one = AddressRange::parse("192.0.2.7");
  ASSERT_TRUE(one);
  EXPECT_TRUE(one->contains(ip("192.0.2.7")));
  EXPECT_FALSE(one->contains(ip("192.0.2.8")));
  auto range = AddressRange::parse("10.0.0.5-10.0.1.2");
  ASSERT_TRUE(range);
  EXPECT_TRUE(range->contains(ip("10.0.0.255")));
  EXPECT_FALSE(range->contains(ip("10.0.1.3")));
  auto cidr = AddressRange::parse("172.16.0.0/12");
  ASSERT_TRUE(cidr);
  EXPECT_TRUE(cidr->contains(ip("172.31.255.255")));
  EXPECT_FALSE(cidr->contains(ip("172.32.0.0")));
  auto v6 = AddressRange::parse("2001:db8::/33");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains(ip("2001:db8:7fff::1")));
  EXPECT_FALSE(v6->contains(ip("2001:db8:8000::1")));
  EXPECT_FALSE(v6->contains(ip("10.0.0.1")));  // other family
  for (const char* bad : {"", "1.2.3.4/33", "::/129", "10.0.0.9-10.0.0.1", "1.2.3.4-::1", "x/8",
                          "1.2.3.4/", "1.2.3.4/a"}) {
    EXPECT_FALSE(AddressRange::parse(bad)) << bad;
  }
}

// A byte-wise compare of textual IPv6 (or of unnormalised forms) under-blocks; ranges here are
// numeric over the 16 network-order bytes.
TEST(AddressRange, Ipv6RangesCompareNumerically) {
  auto r = AddressRange::parse("2001:db8::9-2001:db8::10");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->contains(ip("2001:db8::a")));
  EXPECT_TRUE(r->contains(ip("2001:db8::f")));
  EXPECT_FALSE(r->contains(ip("2001:db8::11")));
}

TEST(EmbeddedIpv4, RecognisesEveryForm) {
  EXPECT_EQ(embedded_ipv4(ip("::ffff:127.0.0.1"))->ip_string(), "127.0.0.1");
  EXPECT_EQ(embedded_ipv4(ip("::10.1.2.3"))->ip_string(), "10.1.2.3");
  EXPECT_EQ(embedded_ipv4(ip("64:ff9b::a9fe:a9fe"))->ip_string(), "169.254.169.254");
  EXPECT_EQ(embedded_ipv4(ip("2002:c0a8:0101::1"))->ip_string(), "192.168.1.1");
  EXPECT_FALSE(embedded_ipv4(ip("2001:db8::1")));
  EXPECT_FALSE(embedded_ipv4(ip("::1")));  // IPv6 loopback, not 0.0.0.1
  EXPECT_FALSE(embedded_ipv4(ip("::")));
  EXPECT_FALSE(embedded_ipv4(ip("8.8.8.8")));
}

class PeerPolicyTest : public ::testing::Test {
 protected:
  PeerPolicy policy(PeerPolicySettings s = {}) { return PeerPolicy(std::move(s)); }
};

TEST_F(PeerPolicyTest, DefaultDenyList) {
  auto p = policy();
  for (const char* denied :
       {"0.1.2.3", "127.0.0.1", "127.255.0.9", "169.254.169.254", "224.0.0.1", "239.1.1.1",
        "240.0.0.1", "255.255.255.255", "10.0.0.1", "172.16.5.4", "192.168.1.1", "100.64.0.1",
        "::", "::1", "fe80::1", "fec0::1", "fc00::1", "fd12::1", "ff02::1",
        // Documentation ranges (RFC 5737, RFC 3849): not globally reachable, so refused
        // (special_addresses_test.cc has every registry block).
        "192.0.2.1", "2001:db8::1"}) {
    EXPECT_FALSE(p.permitted(ip(denied))) << denied;
  }
  for (const char* ok : {"8.8.8.8", "100.128.0.1", "2a00::1"}) {
    EXPECT_TRUE(p.permitted(ip(ok))) << ok;
  }
}

// Each IPv4-embedding IPv6 form of a denied address is denied too (the bypasses of the past).
TEST_F(PeerPolicyTest, EmbeddedFormsAreNormalisedFirst) {
  auto p = policy();
  for (const char* bypass :
       {"::ffff:127.0.0.1", "::127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:0001::1",
        "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "::ffff:10.0.0.1", "64:ff9b:1::1",
        // Teredo: server 127.0.0.1 / obfuscated client 127.0.0.1 (bits inverted)
        "2001:0:7f00:1::1", "2001:0:808:808::80ff:fffe"}) {
    EXPECT_FALSE(p.permitted(ip(bypass))) << bypass;
  }
  EXPECT_TRUE(p.permitted(ip("::ffff:8.8.8.8")));
  EXPECT_TRUE(p.permitted(ip("2001:0:808:808::f7f7:f7f7")));  // Teredo for 8.8.8.8 both ways
}

TEST_F(PeerPolicyTest, AllowLoopbackAndPrivateOptIns) {
  auto p = policy({.allow_loopback = true});
  EXPECT_TRUE(p.permitted(ip("127.0.0.1")));
  EXPECT_TRUE(p.permitted(ip("::1")));
  EXPECT_TRUE(p.permitted(ip("::ffff:127.0.0.1")));
  EXPECT_FALSE(p.permitted(ip("10.0.0.1")));
  auto q = policy({.allow_private = true});
  EXPECT_TRUE(q.permitted(ip("10.0.0.1")));
  EXPECT_TRUE(q.permitted(ip("fd00::1")));
  EXPECT_FALSE(q.permitted(ip("127.0.0.1")));
}

TEST_F(PeerPolicyTest, ExplicitListsAllowedWinsOverDenied) {
  PeerPolicySettings s;
  s.denied.push_back(*AddressRange::parse("8.8.0.0/16"));
  s.allowed.push_back(*AddressRange::parse("8.8.8.8"));
  s.allowed.push_back(*AddressRange::parse("10.1.0.0-10.1.255.255"));
  auto p = policy(s);
  EXPECT_FALSE(p.permitted(ip("8.8.4.4")));
  EXPECT_FALSE(p.permitted(ip("::ffff:8.8.4.4")));  // the deny applies to the embedded form
  EXPECT_TRUE(p.permitted(ip("8.8.8.8")));
  EXPECT_TRUE(p.permitted(ip("10.1.2.3")));
  EXPECT_FALSE(p.permitted(ip("10.2.0.1")));
}

TEST_F(PeerPolicyTest, OwnListeningEndpointsAreNeverPeers) {
  auto p = policy({.allow_loopback = true, .own_addresses = {ip("127.0.0.1:3478")}});
  EXPECT_FALSE(p.permitted(ip("127.0.0.1:3478")));
  EXPECT_TRUE(p.permitted(ip("127.0.0.1:50000")));  // another client's relay on this host
  EXPECT_FALSE(p.permitted(Address()));
}

}  // namespace
}  // namespace ferry::turn
