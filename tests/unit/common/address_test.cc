#include "ferry/common/address.h"

#include <gtest/gtest.h>

#include <unordered_set>

namespace ferry {
namespace {

TEST(Address, ParsesIpv4AndIpv6) {
  auto a = Address::parse_ip("192.0.2.1", 3478);
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->is_v4());
  EXPECT_EQ(a->port(), 3478);
  EXPECT_EQ(a->to_string(), "192.0.2.1:3478");
  auto b = Address::parse_ip("2001:db8::1", 5349);
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->is_v6());
  EXPECT_EQ(b->to_string(), "[2001:db8::1]:5349");
  EXPECT_FALSE(Address::parse_ip("not-an-ip"));
  EXPECT_FALSE(Address::parse_ip(""));
  EXPECT_FALSE(Address::parse_ip("1.2.3.4.5"));
  EXPECT_FALSE(Address::parse_ip(std::string(200, '1')));
}

TEST(Address, ParsesEndpoints) {
  EXPECT_EQ(Address::parse_endpoint("10.0.0.1:80")->to_string(), "10.0.0.1:80");
  EXPECT_EQ(Address::parse_endpoint("[::1]:3478")->to_string(), "[::1]:3478");
  EXPECT_EQ(Address::parse_endpoint("::1")->port(), 0);
  EXPECT_FALSE(Address::parse_endpoint("10.0.0.1:99999"));
  EXPECT_FALSE(Address::parse_endpoint("[::1"));
  EXPECT_FALSE(Address::parse_endpoint("[10.0.0.1]:5"));
  EXPECT_FALSE(Address::parse_endpoint("10.0.0.1:x"));
}

TEST(Address, SockaddrRoundTrip) {
  for (const char* text : {"127.0.0.1:1", "[::1]:65535", "[2001:db8::42]:3478"}) {
    auto a = *Address::parse_endpoint(text);
    sockaddr_storage ss;
    socklen_t len = a.to_sockaddr(&ss);
    EXPECT_EQ(Address::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len), a) << text;
  }
  EXPECT_TRUE(Address::from_sockaddr(nullptr, 0).empty());
}

TEST(Address, Classification) {
  EXPECT_TRUE(Address::parse_ip("127.5.0.1")->is_loopback());
  EXPECT_TRUE(Address::parse_ip("::1")->is_loopback());
  EXPECT_FALSE(Address::parse_ip("::2")->is_loopback());
  EXPECT_TRUE(Address::parse_ip("0.0.0.0")->is_any());
  EXPECT_TRUE(Address::parse_ip("::")->is_any());
  EXPECT_FALSE(Address().is_any());
}

TEST(Address, EqualityAndHashDistinguishFamilyPortAndIp) {
  auto a = *Address::parse_endpoint("1.2.3.4:5");
  auto b = *Address::parse_endpoint("1.2.3.4:6");
  auto c = *Address::parse_endpoint("[::102:304]:5");
  EXPECT_NE(a, b);
  EXPECT_NE(a, c);
  EXPECT_TRUE(a.same_ip(b));
  std::unordered_set<Address> set{a, b, c};
  EXPECT_EQ(set.size(), 3u);
  FiveTuple t1{a, b, Transport::kUdp};
  FiveTuple t2{a, b, Transport::kTcp};
  EXPECT_NE(t1, t2);
  EXPECT_NE(t1.hash(), t2.hash());
}

}  // namespace
}  // namespace ferry
