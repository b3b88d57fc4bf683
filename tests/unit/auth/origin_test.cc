// ORIGIN canonical form (coturn's, so databases it wrote match): lower case, the scheme's
// default port filled in, path and userinfo dropped; anything else is not mapped.
#include "ferry/auth/origin.h"

#include <gtest/gtest.h>

#include <string>

namespace ferry::auth {
namespace {

std::string canon(std::string_view in) {
  OriginBuffer buf;
  auto out = canonical_origin(in, buf);
  return out ? std::string(*out) : std::string("<none>");
}

TEST(CanonicalOrigin, CoturnForm) {
  EXPECT_EQ(canon("https://example.org"), "https://example.org:443");
  EXPECT_EQ(canon("HTTP://Example.ORG"), "http://example.org:80");
  EXPECT_EQ(canon("https://example.org:8443/app?x=1#y"), "https://example.org:8443");
  EXPECT_EQ(canon("https://user:pw@example.org/"), "https://example.org:443");
  EXPECT_EQ(canon("https://[2001:db8::1]"), "https://[2001:db8::1]:443");
  EXPECT_EQ(canon("https://[2001:db8::1]:9"), "https://[2001:db8::1]:9");
  EXPECT_EQ(canon("turns://relay.example"), "turns://relay.example:5349");
  EXPECT_EQ(canon("app://thing"), "app://thing");  // no default port known: none added
}

TEST(CanonicalOrigin, NotAnOrigin) {
  EXPECT_EQ(canon(""), "<none>");
  EXPECT_EQ(canon("example.org"), "<none>");
  EXPECT_EQ(canon("://example.org"), "<none>");
  EXPECT_EQ(canon("1http://example.org"), "<none>");
  EXPECT_EQ(canon("https://"), "<none>");
  EXPECT_EQ(canon("https://example.org:"), "<none>");
  EXPECT_EQ(canon("https://example.org:123456"), "<none>");
  EXPECT_EQ(canon("https://example.org:8x"), "<none>");
  EXPECT_EQ(canon("https://exa mple.org"), "<none>");
  EXPECT_EQ(canon(std::string("https://a\0b", 11)), "<none>");
}

// The longest value mapped, and one byte more: an oversized ORIGIN is never looked up.
TEST(CanonicalOrigin, LengthBound) {
  std::string longest = "https://" + std::string(kMaxOriginLength - 8, 'a');
  EXPECT_EQ(canon(longest), longest + ":443");
  EXPECT_EQ(canon(longest + "a"), "<none>");
  EXPECT_EQ(canon(std::string(70000, 'h')), "<none>");
}

}  // namespace
}  // namespace ferry::auth
