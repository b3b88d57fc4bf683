// libconfig files: same names, structured values, same checks.
#include <gtest/gtest.h>

#include "test_files.h"

namespace ferry::config::testing {
namespace {

constexpr const char* kData = FERRY_CONFIG_TEST_DATA;

TEST(ConfigLibconfigReader, ReadsUsersListAndScalars) {
  const auto path = std::string(kData) + "/users.cfg";
  auto out = load_file_only(path);
  ASSERT_TRUE(out.ok()) << all_messages(out);
  EXPECT_TRUE(out.diagnostics.empty()) << all_messages(out);
  EXPECT_EQ(out.config.integer("listening-port"), 3479);
  EXPECT_EQ(out.config.list("listening-ip"), (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_EQ(out.config.string("log-file"), "/var/log/ferry.log");
  EXPECT_EQ(out.config.list("user"),
            (std::vector<std::string>{"alice:secret", "bob:0x3cbd2ab0a2e1c2d9e8a4c1e6bd0e38f3"}));
  EXPECT_TRUE(out.config.flag("no-udp"));
  EXPECT_TRUE(out.config.flag("fingerprint"));
  EXPECT_TRUE(out.config.is_set("Verbose"));
  EXPECT_FALSE(out.config.flag("Verbose"));
  EXPECT_EQ(out.config.integer("relay-threads"), 2);
  EXPECT_TRUE(contains(out.config.where("log-file"), "users.cfg:4"))
      << out.config.where("log-file");
}

TEST(ConfigLibconfigReader, SingleValueForAListAndListSyntax) {
  TempDir dir;
  auto out = load_text(dir, "user = \"a:b\";\nallowed-peer-ip = (\"10.0.0.1\", \"10.0.0.2\");\n",
                       "t.libconfig");
  ASSERT_TRUE(out.ok()) << all_messages(out);
  EXPECT_EQ(out.config.list("user"), (std::vector<std::string>{"a:b"}));
  EXPECT_EQ(out.config.list("allowed-peer-ip").size(), 2u);
}

TEST(ConfigLibconfigReader, FlagsAcceptBooleansAndNumbers) {
  TempDir dir;
  auto out = load_text(dir, "fingerprint = 1;\nno-udp = false;\nno-tcp = \"yes\";\n", "t.cfg");
  ASSERT_TRUE(out.ok()) << all_messages(out);
  EXPECT_TRUE(out.config.flag("fingerprint"));
  EXPECT_FALSE(out.config.flag("no-udp"));
  EXPECT_TRUE(out.config.flag("no-tcp"));
}

TEST(ConfigLibconfigReader, IntegerAsStringIsAcceptedWrongTypesAreNot) {
  TempDir dir;
  auto out = load_text(dir, "listening-port = \"3490\";\n", "t.cfg");
  ASSERT_TRUE(out.ok()) << all_messages(out);
  EXPECT_EQ(out.config.integer("listening-port"), 3490);
  out = load_text(dir, "listening-port = true;\n", "t.cfg");
  EXPECT_FALSE(out.ok());
  out = load_text(dir, "listening-port = 34.5;\n", "t.cfg");
  EXPECT_FALSE(out.ok());
  out = load_text(dir, "realm = [\"a\", \"b\"];\n", "t.cfg");
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(contains(errors(out)[0].message, "list")) << all_messages(out);
  out = load_text(dir, "realm = { name = \"a\"; };\n", "t.cfg");
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(contains(errors(out)[0].message, "group")) << all_messages(out);
}

TEST(ConfigLibconfigReader, UnknownSettingNamesFileLineAndSuggestion) {
  TempDir dir;
  auto out = load_text(dir, "realm = \"x\";\nlistening-prot = 3478;\n", "t.cfg");
  ASSERT_FALSE(out.ok());
  auto e = errors(out);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_TRUE(contains(e[0].where, "t.cfg:2")) << e[0].where;
  EXPECT_EQ(e[0].message, "unknown option 'listening-prot'; did you mean 'listening-port'?");
}

TEST(ConfigLibconfigReader, SyntaxErrorNamesTheLine) {
  TempDir dir;
  auto out = load_text(dir, "realm = \"x\";\nlistening-port = = 3;\n", "t.cfg");
  ASSERT_FALSE(out.ok());
  auto e = errors(out);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_TRUE(contains(e[0].where, "t.cfg:2")) << e[0].where;
  EXPECT_TRUE(contains(e[0].message, "libconfig")) << e[0].message;
}

TEST(ConfigLibconfigReader, NotYetAndObsoleteWarnAsInFlatFiles) {
  TempDir dir;
  auto out = load_text(dir, "CA-file = \"/x.pem\";\nsha256 = true;\n", "t.cfg");
  ASSERT_TRUE(out.ok()) << all_messages(out);
  EXPECT_EQ(warnings(out).size(), 2u) << all_messages(out);
}

TEST(ConfigLibconfigReader, FlatSyntaxInACfgFileIsASyntaxError) {
  TempDir dir;
  auto out = load_text(dir, "listening-port=3478\nfingerprint\n", "t.cfg");
  EXPECT_FALSE(out.ok());
}

}  // namespace
}  // namespace ferry::config::testing
