// coturn's flat turnserver.conf syntax, rule by rule.
#include <gtest/gtest.h>

#include "test_files.h"

namespace ferry::config::testing {
namespace {

TEST(ConfigFlatReader, NameEqualsValueNameSpaceValueAndSpacedEquals) {
  TempDir dir;
  auto out = load_text(dir,
                       "listening-port=3479\nlog-file /tmp/x.log\nrelay-threads = 3\n"
                       "listening-ip\t=\t127.0.0.1\n");
  ASSERT_TRUE(out.ok()) << all_messages(out);
  EXPECT_EQ(out.config.integer("listening-port"), 3479);
  EXPECT_EQ(out.config.string("log-file"), "/tmp/x.log");
  EXPECT_EQ(out.config.integer("relay-threads"), 3);
  EXPECT_EQ(out.config.list("listening-ip"), (std::vector<std::string>{"127.0.0.1"}));
  EXPECT_TRUE(out.diagnostics.empty()) << all_messages(out);
}

TEST(ConfigFlatReader, BareNameSetsAFlag) {
  TempDir dir;
  auto out = load_text(dir, "fingerprint\n");
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out.config.flag("fingerprint"));
  EXPECT_FALSE(out.config.flag("no-udp"));
}

TEST(ConfigFlatReader, BooleanSpellings) {
  TempDir dir;
  for (const char* yes :
       {"1", "y", "Y", "yes", "YES", "t", "true", "True", "on", "ON", "7", "10"}) {
    auto out = load_text(dir, std::string("fingerprint=") + yes + "\n");
    ASSERT_TRUE(out.ok()) << yes << ": " << all_messages(out);
    EXPECT_TRUE(out.config.flag("fingerprint")) << yes;
  }
  for (const char* no : {"0", "n", "N", "no", "No", "f", "false", "FALSE", "off", "Off"}) {
    auto out = load_text(dir, std::string("fingerprint ") + no + "\n");
    ASSERT_TRUE(out.ok()) << no << ": " << all_messages(out);
    EXPECT_FALSE(out.config.flag("fingerprint")) << no;
    EXPECT_TRUE(out.config.is_set("fingerprint")) << no;
  }
}

TEST(ConfigFlatReader, NonBooleanFlagValueIsAnError) {
  TempDir dir;
  auto out = load_text(dir, "realm=x\nfingerprint=maybe\n");
  ASSERT_FALSE(out.ok());
  auto e = errors(out);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_TRUE(contains(e[0].where, "t.conf:2")) << e[0].where;
  EXPECT_TRUE(contains(e[0].message, "'fingerprint'")) << e[0].message;
  EXPECT_TRUE(contains(e[0].message, "'maybe'")) << e[0].message;
  EXPECT_TRUE(contains(e[0].message, "flag")) << e[0].message;
}

TEST(ConfigFlatReader, OnePairOfSurroundingQuotesIsStripped) {
  TempDir dir;
  auto out = load_text(dir, "log-file=\"/tmp/x.log\"\n");
  ASSERT_TRUE(out.ok()) << all_messages(out);
  EXPECT_EQ(out.config.string("log-file"), "/tmp/x.log");
  EXPECT_TRUE(out.diagnostics.empty()) << all_messages(out);
  out = load_text(dir, "log-file \"\"/tmp/q\"\"\n");
  ASSERT_TRUE(out.ok()) << all_messages(out);
  EXPECT_EQ(out.config.string("log-file"), "\"/tmp/q\"");
  EXPECT_TRUE(out.diagnostics.empty()) << all_messages(out);
}

TEST(ConfigFlatReader, UnbalancedQuoteWarnsAndDropsTheQuote) {
  TempDir dir;
  auto out = load_text(dir, "log-file=\"/tmp/x.log\n");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.config.string("log-file"), "/tmp/x.log");
  EXPECT_EQ(warnings(out).size(), 1u) << all_messages(out);
}

TEST(ConfigFlatReader, HashStartsACommentOnlyAtTheStartOfALine) {
  TempDir dir;
  auto out = load_text(dir,
                       "# a comment\n   # an indented comment\n\t#tabbed\n"
                       "log-file=/tmp/a#b\n#fingerprint\n");
  ASSERT_TRUE(out.ok()) << all_messages(out);
  EXPECT_EQ(out.config.string("log-file"), "/tmp/a#b");
  EXPECT_FALSE(out.config.is_set("fingerprint"));
  EXPECT_TRUE(out.diagnostics.empty()) << all_messages(out);
}

TEST(ConfigFlatReader, TrailingCommentBecomesPartOfTheValueWithAWarning) {
  TempDir dir;
  auto out = load_text(dir, "log-file=/tmp/x.log # ours\n");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.config.string("log-file"), "/tmp/x.log # ours");
  auto w = warnings(out);
  ASSERT_EQ(w.size(), 1u) << all_messages(out);
  EXPECT_TRUE(contains(w[0].message, "comment")) << w[0].message;
}

TEST(ConfigFlatReader, BlankLinesCrlfAndLeadingBlanksAreIgnored) {
  TempDir dir;
  auto out = load_text(dir, "\xEF\xBB\xBF\r\n\n   \n  listening-port=3480\r\n\tfingerprint\r\n");
  ASSERT_TRUE(out.ok()) << all_messages(out);
  EXPECT_EQ(out.config.integer("listening-port"), 3480);
  EXPECT_TRUE(out.config.flag("fingerprint"));
  EXPECT_EQ(out.config.where("fingerprint").substr(out.config.where("fingerprint").size() - 2),
            ":5");
}

TEST(ConfigFlatReader, NamesAreCaseSensitiveVerboseDiffersFromVerbose) {
  TempDir dir;
  auto out = load_text(dir, "Verbose\n");
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out.config.flag("Verbose"));
  EXPECT_FALSE(out.config.flag("verbose"));
  out = load_text(dir, "verbose\n");
  EXPECT_TRUE(out.config.flag("verbose"));
  EXPECT_FALSE(out.config.flag("Verbose"));
  out = load_text(dir, "VERBOSE\n");
  EXPECT_FALSE(out.ok());
  EXPECT_TRUE(contains(all_messages(out), "did you mean 'verbose'?")) << all_messages(out);
}

TEST(ConfigFlatReader, ListOptionsRepeatInOrder) {
  TempDir dir;
  auto out = load_text(
      dir,
      "listening-ip=127.0.0.1\nlog-file=/tmp/x.log\nlistening-ip=::1\nlistening-ip 10.0.0.1\n");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.config.list("listening-ip"),
            (std::vector<std::string>{"127.0.0.1", "::1", "10.0.0.1"}));
  EXPECT_EQ(out.config.string("log-file"), "/tmp/x.log");
  EXPECT_TRUE(out.diagnostics.empty()) << all_messages(out);
  EXPECT_TRUE(contains(out.config.where("listening-ip", 1), "t.conf:3"));
}

TEST(ConfigFlatReader, ValueMayContainBlanksAndEquals) {
  TempDir dir;
  auto out = load_text(dir, "user=name:pa ss=word\n");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.config.list("user"), (std::vector<std::string>{"name:pa ss=word"}));
}

TEST(ConfigFlatReader, EmptyValueIsAnEmptyStringButAnErrorForIntegers) {
  TempDir dir;
  auto out = load_text(dir, "realm=\n");
  ASSERT_TRUE(out.ok()) << all_messages(out);
  EXPECT_TRUE(out.config.is_set("realm"));
  EXPECT_EQ(out.config.string("realm"), "");
  out = load_text(dir, "listening-port=\n");
  EXPECT_FALSE(out.ok());
}

TEST(ConfigFlatReader, BareNameOfAValueOptionIsAnError) {
  TempDir dir;
  auto out = load_text(dir, "realm\n");
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(contains(errors(out)[0].message, "needs a value")) << errors(out)[0].message;
}

TEST(ConfigFlatReader, StaleNonceBareOrWithSeconds) {
  TempDir dir;
  auto out = load_text(dir, "stale-nonce\n");
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out.config.flag("stale-nonce"));
  EXPECT_EQ(out.config.integer("stale-nonce"), 600);
  out = load_text(dir, "stale-nonce=900\n");
  EXPECT_EQ(out.config.integer("stale-nonce"), 900);
  out = load_text(dir, "stale-nonce=off\n");
  EXPECT_TRUE(out.config.is_set("stale-nonce"));
  EXPECT_FALSE(out.config.flag("stale-nonce"));
  out = load_text(dir, "stale-nonce=soon\n");
  EXPECT_FALSE(out.ok());
}

TEST(ConfigFlatReader, AliasesSetTheirOption) {
  TempDir dir;
  auto out = load_text(dir, "db=/var/lib/turn/turndb\nprod\n");
  ASSERT_TRUE(out.ok()) << all_messages(out);
  EXPECT_EQ(out.config.string("userdb"), "/var/lib/turn/turndb");
  EXPECT_TRUE(out.config.flag("no-software-attribute"));
}

TEST(ConfigFlatReader, SemicolonAtTheEndWarns) {
  TempDir dir;
  auto out = load_text(dir, "log-file=/tmp/x.log;\n");
  ASSERT_TRUE(out.ok());
  auto w = warnings(out);
  ASSERT_EQ(w.size(), 1u) << all_messages(out);
  EXPECT_TRUE(contains(w[0].message, ".cfg")) << w[0].message;
}

TEST(ConfigFlatReader, CommandLineOnlyOptionsInAFileWarn) {
  TempDir dir;
  auto out = load_text(dir, "config=/etc/other.conf\nversion\n");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(warnings(out).size(), 2u) << all_messages(out);
  EXPECT_FALSE(out.config.is_set("config"));
}

TEST(ConfigFlatReader, ValueWithoutANameIsAnError) {
  TempDir dir;
  auto out = load_text(dir, "=3478\n");
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(contains(errors(out)[0].message, "no option name")) << all_messages(out);
}

}  // namespace
}  // namespace ferry::config::testing
