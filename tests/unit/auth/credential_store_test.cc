#include "ferry/auth/credential_store.h"

#include <gtest/gtest.h>

namespace ferry::auth {
namespace {

TEST(StaticUsers, PasswordAndPrecomputedKeyForms) {
  StaticUsers users("north.gov");
  auto a = users.add("ninefingers:youhavetoberealistic");
  ASSERT_TRUE(a) << a.error();
  auto b = users.add("gorst:0x7da2270ccfa49786e0115366d3a3d14d");
  ASSERT_TRUE(b) << b.error();
  EXPECT_EQ(users.key("ninefingers", "north.gov"),
            md5_key("ninefingers", "north.gov", "youhavetoberealistic"));
  EXPECT_EQ(users.key("gorst", "north.gov"), md5_key("gorst", "north.gov", "hero"));
  EXPECT_FALSE(users.key("gorst", "south.gov"));  // another realm
  EXPECT_FALSE(users.key("nobody", "north.gov"));
  EXPECT_FALSE(users.key("Gorst", "north.gov"));  // names are compared as bytes
}

TEST(StaticUsers, PasswordMayContainColons) {
  StaticUsers users("r");
  ASSERT_TRUE(users.add("u:a:b:c"));
  EXPECT_EQ(users.key("u", "r"), md5_key("u", "r", "a:b:c"));
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
