#include "ferry/auth/credential_store.h"

#include <gtest/gtest.h>

namespace ferry::auth {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;

// The one MD5 key `user` has, or nullopt when the store does not find it.
std::optional<Md5Key> md5_of(const CredentialStore& store, std::string_view user,
                             std::string_view realm) {
  Lookup l = store.find(user, realm, kNow);
  if (l.status != Lookup::Status::kFound) return std::nullopt;
  EXPECT_EQ(l.keys.size(), 1u);
  return l.keys.at(0).md5;
}

TEST(StaticUsers, PasswordAndPrecomputedKeyForms) {
  StaticUsers users("north.gov");
  auto a = users.add("ninefingers:youhavetoberealistic");
  ASSERT_TRUE(a) << a.error();
  auto b = users.add("gorst:0x7da2270ccfa49786e0115366d3a3d14d");
  ASSERT_TRUE(b) << b.error();
  EXPECT_EQ(md5_of(users, "ninefingers", "north.gov"),
            md5_key("ninefingers", "north.gov", "youhavetoberealistic"));
  EXPECT_EQ(md5_of(users, "gorst", "north.gov"), md5_key("gorst", "north.gov", "hero"));
  EXPECT_FALSE(md5_of(users, "gorst", "south.gov"));  // another realm
  EXPECT_FALSE(md5_of(users, "nobody", "north.gov"));
  EXPECT_FALSE(md5_of(users, "Gorst", "north.gov"));  // names are compared as bytes
  EXPECT_EQ(users.find("nobody", "north.gov", kNow).status, Lookup::Status::kUnknown);
}

// RFC 8489 §18.5.1.2: a SHA-256 key needs the password; coturn's 0x form holds only MD5.
TEST(StaticUsers, ASha256KeyOnlyWhereThePasswordIsKnown) {
  StaticUsers users("north.gov");
  ASSERT_TRUE(users.add("ninefingers:youhavetoberealistic"));
  ASSERT_TRUE(users.add("gorst:0x7da2270ccfa49786e0115366d3a3d14d"));
  EXPECT_EQ(users.find("ninefingers", "north.gov", kNow).keys.at(0).sha256,
            sha256_key("ninefingers", "north.gov", "youhavetoberealistic"));
  EXPECT_FALSE(users.find("gorst", "north.gov", kNow).keys.at(0).sha256);
}

// RFC 8489 §14.4: USERHASH = SHA-256(username ":" realm). Static users are indexed by it,
// including the 0x<MD5> accounts (their name is known, only the password is not); a hash of
// an unknown name, or of a known name in another realm, is unknown. The vector is Appendix
// B.1's (CONFORMANCE.md).
TEST(StaticUsers, FoundByUserhash) {
  const std::string matrix = "\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9";
  StaticUsers users("example.org");
  ASSERT_TRUE(users.add(matrix + ":TheMatrIX"));
  ASSERT_TRUE(users.add("gorst:0x7da2270ccfa49786e0115366d3a3d14d"));
  const Sha256Key b1 = userhash(matrix, "example.org");
  EXPECT_EQ(b1[0], 0x4a);
  EXPECT_EQ(b1[31], 0x04);
  NamedLookup found = users.find_by_userhash(b1, "example.org", kNow);
  ASSERT_EQ(found.lookup.status, Lookup::Status::kFound);
  EXPECT_EQ(found.user, matrix);
  EXPECT_EQ(found.lookup.keys.at(0).sha256, sha256_key(matrix, "example.org", "TheMatrIX"));
  EXPECT_EQ(users.find_by_userhash(userhash("gorst", "example.org"), "example.org", kNow).user,
            "gorst");
  EXPECT_EQ(
      users.find_by_userhash(userhash("nobody", "example.org"), "example.org", kNow).lookup.status,
      Lookup::Status::kUnknown);
  EXPECT_EQ(users.find_by_userhash(b1, "example.com", kNow).lookup.status,
            Lookup::Status::kUnknown);
  EXPECT_TRUE(users.supports_userhash());
}

TEST(StaticUsers, PasswordMayContainColons) {
  StaticUsers users("r");
  ASSERT_TRUE(users.add("u:a:b:c"));
  EXPECT_EQ(md5_of(users, "u", "r"), md5_key("u", "r", "a:b:c"));
}

TEST(StaticUsers, MalformedEntriesAreRejected) {
  StaticUsers users("r");
  for (const char* bad : {"nocolon", ":password", "name:", "name:0x1234", "name:0xzz"}) {
    auto added = users.add(bad);
    EXPECT_FALSE(added) << bad;
    EXPECT_FALSE(added.error().empty());
  }
  EXPECT_EQ(users.size(), 0u);
}

}  // namespace
}  // namespace ferry::auth
