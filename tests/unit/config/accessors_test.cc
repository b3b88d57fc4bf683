// Config accessors: defaults, types, and programming errors.
#include <gtest/gtest.h>

#include <stdexcept>

#include "test_files.h"

namespace ferry::config::testing {
namespace {

TEST(ConfigAccessors, DefaultsComeFromTheTable) {
  Config c;
  EXPECT_FALSE(c.is_set("listening-port"));
  EXPECT_EQ(c.integer("listening-port"), 3478);
  EXPECT_EQ(c.integer("tls-listening-port"), 5349);
  EXPECT_EQ(c.integer("min-port"), 49152);
  EXPECT_EQ(c.integer("max-port"), 65535);
  EXPECT_EQ(c.integer("max-allocate-lifetime"), 3600);
  EXPECT_EQ(c.integer("permission-lifetime"), 300);
  EXPECT_EQ(c.integer("channel-lifetime"), 600);
  EXPECT_EQ(c.integer("stale-nonce"), 600);
  EXPECT_FALSE(c.flag("stale-nonce"));
  EXPECT_EQ(c.string("rest-api-separator"), ":");
  EXPECT_EQ(c.string("realm"), "ferry");
  EXPECT_TRUE(c.list("user").empty());
  EXPECT_EQ(c.where("realm"), "default");
  // Descriptive defaults read as 0; callers check is_set().
  EXPECT_EQ(c.string("relay-threads"), "auto");
  EXPECT_EQ(c.integer("relay-threads"), 0);
}

TEST(ConfigAccessors, UnknownNameIsALogicError) {
  Config c;
  EXPECT_THROW((void)c.is_set("no-such-option"), std::logic_error);
  EXPECT_THROW((void)c.flag("no-such-option"), std::logic_error);
  EXPECT_THROW((void)c.integer("listening_port"), std::logic_error);
  EXPECT_THROW((void)c.string("REALM"), std::logic_error);
  EXPECT_THROW((void)c.list("users"), std::logic_error);
  EXPECT_THROW((void)c.where("x"), std::logic_error);
  EXPECT_THROW(c.set("x", "1", "here"), std::logic_error);
}

TEST(ConfigAccessors, WrongTypeIsALogicError) {
  Config c;
  EXPECT_THROW((void)c.flag("listening-port"), std::logic_error);
  EXPECT_THROW((void)c.integer("realm"), std::logic_error);
  EXPECT_THROW((void)c.integer("fingerprint"), std::logic_error);
}

TEST(ConfigAccessors, AliasesReachTheirOption) {
  Config c;
  c.set("db", "/x", "here");
  EXPECT_TRUE(c.is_set("userdb"));
  EXPECT_EQ(c.string("userdb"), "/x");
}

TEST(ConfigAccessors, SettersReplaceAndAppend) {
  Config c;
  c.set("realm", "a", "one");
  c.set("realm", "b", "two");
  EXPECT_EQ(c.string("realm"), "b");
  EXPECT_EQ(c.where("realm"), "two");
  c.append("user", "a:1", "f:1");
  c.append("user", "b:2", "f:2");
  EXPECT_EQ(c.list("user"), (std::vector<std::string>{"a:1", "b:2"}));
  EXPECT_EQ(c.where("user", 0), "f:1");
  EXPECT_EQ(c.where("user"), "f:2");
  c.unset("user");
  EXPECT_FALSE(c.is_set("user"));
  auto set = c.set_options();
  ASSERT_EQ(set.size(), 1u);
  EXPECT_EQ(set[0]->name, "realm");
}

TEST(ConfigAccessors, FlagOrIntZeroIsOff) {
  Config c;
  c.set("stale-nonce", "0", "x");
  EXPECT_TRUE(c.is_set("stale-nonce"));
  EXPECT_FALSE(c.flag("stale-nonce"));
  c.set("stale-nonce", "30", "x");
  EXPECT_TRUE(c.flag("stale-nonce"));
  EXPECT_EQ(c.integer("stale-nonce"), 30);
}

}  // namespace
}  // namespace ferry::config::testing
