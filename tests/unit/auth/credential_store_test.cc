#include "ferry/auth/credential_store.h"

#include <gtest/gtest.h>

namespace ferry::auth {
namespace {

TEST(StaticUsers, PasswordAndPrecomputedKeyForms) {
  StaticUsers users("north.gov");
  std::string err;
  ASSERT_TRUE(users.add("ninefingers:youhavetoberealistic", &err)) << err;
  ASSERT_TRUE(users.add("gorst:0x7da2270ccfa49786e0115366d3a3d14d", &err)) << err;
  EXPECT_EQ(users.key("ninefingers", "north.gov"),
            md5_key("ninefingers", "north.gov", "youhavetoberealistic"));
  EXPECT_EQ(users.key("gorst", "north.gov"), md5_key("gorst", "north.gov", "hero"));
  EXPECT_FALSE(users.key("gorst", "south.gov"));  // another realm
  EXPECT_FALSE(users.key("nobody", "north.gov"));
  EXPECT_FALSE(users.key("Gorst", "north.gov"));  // names are compared as bytes
}

TEST(StaticUsers, PasswordMayContainColons) {
  StaticUsers users("r");
  std::string err;
  ASSERT_TRUE(users.add("u:a:b:c", &err));
  EXPECT_EQ(users.key("u", "r"), md5_key("u", "r", "a:b:c"));
}

TEST(StaticUsers, MalformedEntriesAreRejected) {
  StaticUsers users("r");
  std::string err;
  for (const char* bad : {"nocolon", ":password", "name:", "name:0x1234", "name:0xzz"}) {
    EXPECT_FALSE(users.add(bad, &err)) << bad;
    EXPECT_FALSE(err.empty());
  }
  EXPECT_EQ(users.size(), 0u);
}

}  // namespace
}  // namespace ferry::auth
