#include "ferry/auth/long_term_key.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace ferry::auth {
namespace {

template <std::size_t N>
std::string hex(const std::array<std::uint8_t, N>& a) {
  std::string s;
  char b[3];
  for (auto v : a) {
    std::snprintf(b, sizeof b, "%02x", v);
    s += b;
  }
  return s;
}

// CONFORMANCE.md "Credential vectors".
TEST(LongTermKey, Md5Vectors) {
  EXPECT_EQ(hex(md5_key("ninefingers", "north.gov", "youhavetoberealistic")),
            "bc807ee29df3c9ffa736523fb2c4e8ee");
  EXPECT_EQ(hex(md5_key("gorst", "north.gov", "hero")), "7da2270ccfa49786e0115366d3a3d14d");
}

// RFC 8489 Appendix B.1: username "<U+30DE><U+30C8><U+30EA><U+30C3><U+30AF><U+30B9>" in UTF-8,
// realm "example.org", password "TheMatrIX" after OpaqueString.
TEST(LongTermKey, Rfc8489Sha256Vectors) {
  const std::string user =
      "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9";
  EXPECT_EQ(hex(userhash(user, "example.org")),
            "4a3cf38fef6992bda952c6780417da0f24819415569e60b205c46e41407f1704");
  EXPECT_EQ(hex(sha256_key(user, "example.org", "TheMatrIX")),
            "dd295a613b9058c3c23d6dc7165bda072304d989c9d0af3a8c7e184b4f9bb4a1");
}

TEST(LongTermKey, HexKeyForm) {
  auto k = parse_hex_key("0x06b2afcf07ba085b7777b481b1020391");
  ASSERT_TRUE(k);
  EXPECT_EQ(hex(*k), "06b2afcf07ba085b7777b481b1020391");
  EXPECT_TRUE(parse_hex_key("0XBC807EE29DF3C9FFA736523FB2C4E8EE"));
  EXPECT_FALSE(parse_hex_key("0x06b2afcf07ba085b7777b481b102039"));   // 31 digits
  EXPECT_FALSE(parse_hex_key("0x06b2afcf07ba085b7777b481b10203zz"));  // not hex
  EXPECT_FALSE(parse_hex_key("1x06b2afcf07ba085b7777b481b1020391"));
  EXPECT_FALSE(parse_hex_key("password"));
}

}  // namespace
}  // namespace ferry::auth
