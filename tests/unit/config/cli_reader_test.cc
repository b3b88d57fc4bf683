// The command line: long and short forms, optional values, actions, and precedence over the file.
#include <gtest/gtest.h>

#include "test_files.h"

namespace ferry::config::testing {
namespace {

TEST(ConfigCommandLine, LongFormsWithSpaceOrEquals) {
  auto out = load_args({"--listening-port", "3481", "--realm=example.org", "--fingerprint"});
  ASSERT_TRUE(out.ok()) << all_messages(out);
  EXPECT_EQ(out.config.integer("listening-port"), 3481);
  EXPECT_EQ(out.config.string("realm"), "example.org");
  EXPECT_TRUE(out.config.flag("fingerprint"));
  EXPECT_EQ(out.config.where("realm"), "command line");
  EXPECT_EQ(out.action, Action::kRun);
  EXPECT_EQ(out.config_file, "");
}

TEST(ConfigCommandLine, ShortFlags) {
  auto out = load_args({"-p", "3482", "-r", "x", "-u", "a:b", "-vf", "-m4", "-L", "127.0.0.1"});
  ASSERT_TRUE(out.ok()) << all_messages(out);
  EXPECT_EQ(out.config.integer("listening-port"), 3482);
  EXPECT_EQ(out.config.string("realm"), "x");
  EXPECT_EQ(out.config.list("user"), (std::vector<std::string>{"a:b"}));
  EXPECT_TRUE(out.config.flag("verbose"));
  EXPECT_TRUE(out.config.flag("fingerprint"));
  EXPECT_EQ(out.config.integer("relay-threads"), 4);
  EXPECT_EQ(out.config.list("listening-ip"), (std::vector<std::string>{"127.0.0.1"}));
  EXPECT_TRUE(out.config.flag("no-config"));
}

TEST(ConfigCommandLine, UpperAndLowerCaseLettersDiffer) {
  auto out = load_args({"-V"});
  EXPECT_TRUE(out.config.flag("Verbose"));
  EXPECT_FALSE(out.config.flag("verbose"));
}

TEST(ConfigCommandLine, FlagWithExplicitValue) {
  auto out = load_args({"--fingerprint=no", "--no-udp=1"});
  ASSERT_TRUE(out.ok()) << all_messages(out);
  EXPECT_FALSE(out.config.flag("fingerprint"));
  EXPECT_TRUE(out.config.flag("no-udp"));
  out = load_args({"--fingerprint=perhaps"});
  EXPECT_FALSE(out.ok());
  EXPECT_EQ(errors(out)[0].where, "command line");
}

TEST(ConfigCommandLine, FlagDoesNotSwallowTheNextWord) {
  auto out = load_args({"--fingerprint", "yes"});
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(contains(errors(out)[0].message, "unexpected argument 'yes'")) << all_messages(out);
}

TEST(ConfigCommandLine, StaleNonceWithOptionalValue) {
  auto out = load_args({"--stale-nonce"});
  ASSERT_TRUE(out.ok()) << all_messages(out);
  EXPECT_EQ(out.config.integer("stale-nonce"), 600);
  out = load_args({"--stale-nonce=900"});
  EXPECT_EQ(out.config.integer("stale-nonce"), 900);
  out = load_args({"--stale-nonce", "1200", "--fingerprint"});
  ASSERT_TRUE(out.ok()) << all_messages(out);
  EXPECT_EQ(out.config.integer("stale-nonce"), 1200);
  EXPECT_TRUE(out.config.flag("fingerprint"));
}

TEST(ConfigCommandLine, MissingValueIsAnError) {
  auto out = load_args({"--realm"});
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(contains(errors(out)[0].message, "needs a value")) << all_messages(out);
  out = load_args({"-p"});
  EXPECT_FALSE(out.ok());
  out = load_args({"--realm", "--fingerprint"});
  EXPECT_FALSE(out.ok()) << "an option is not a value";
}

TEST(ConfigCommandLine, UnknownLongOptionSuggestsWithDashes) {
  auto out = load_args({"--listening-prot", "3478"});
  ASSERT_FALSE(out.ok());
  auto e = errors(out);
  ASSERT_GE(e.size(), 1u);
  EXPECT_EQ(e[0].where, "command line");
  EXPECT_EQ(e[0].message, "unknown option '--listening-prot'; did you mean '--listening-port'?");
}

TEST(ConfigCommandLine, UnknownShortOption) {
  auto out = load_args({"-x"});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(errors(out)[0].message, "unknown option '-x'");
}

TEST(ConfigCommandLine, SingleDashLongOptionIsExplained) {
  auto out = load_args({"-listening-port", "3478"});
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(contains(errors(out)[0].message, "'--listening-port'")) << all_messages(out);
}

TEST(ConfigCommandLine, Actions) {
  EXPECT_EQ(load_args({"-h"}).action, Action::kHelp);
  EXPECT_EQ(load_args({"--help"}).action, Action::kHelp);
  EXPECT_EQ(load_args({"--version"}).action, Action::kVersion);
  EXPECT_EQ(load_args({"--check-config"}).action, Action::kCheckConfig);
  EXPECT_EQ(load_args({}).action, Action::kRun);
}

TEST(ConfigCommandLine, HelpAndVersionDoNotReadTheFile) {
  TempDir dir;
  auto bad = dir.write("bad.conf", "no-such-option\n");
  for (const char* action : {"-h", "--version"}) {
    std::vector<std::string> args = {"-c", bad, action};
    auto out = load(args);
    EXPECT_TRUE(out.ok()) << all_messages(out);
    EXPECT_EQ(out.config_file, "");
  }
}

TEST(ConfigCommandLine, ConfigFileIsReadThenTheCommandLineWins) {
  TempDir dir;
  auto file = dir.write(
      "p.conf",
      "listening-port=3478\nlog-file=/tmp/file.log\nlistening-ip=127.0.0.1\nfingerprint\n");
  std::vector<std::string> args = {"-c", file,  "--listening-port", "4000",
                                   "-L", "::1", "--fingerprint=off"};
  auto out = load(args);
  ASSERT_TRUE(out.ok()) << all_messages(out);
  EXPECT_EQ(out.config_file, file);
  EXPECT_EQ(out.config.integer("listening-port"), 4000);  // scalar: replaced
  EXPECT_EQ(out.config.where("listening-port"), "command line");
  EXPECT_EQ(out.config.string("log-file"), "/tmp/file.log");  // untouched
  EXPECT_EQ(out.config.where("log-file"), file + ":2");
  EXPECT_EQ(out.config.list("listening-ip"),
            (std::vector<std::string>{"127.0.0.1", "::1"}));  // appended
  EXPECT_FALSE(out.config.flag("fingerprint"));
  EXPECT_TRUE(out.diagnostics.empty())
      << all_messages(out) << "no duplicate warning across sources";
}

TEST(ConfigCommandLine, NoConfigSkipsTheFile) {
  TempDir dir;
  auto file = dir.write("p.conf", "realm=file.org\n");
  std::vector<std::string> args = {"-c", file, "-n"};
  auto out = load(args);
  EXPECT_EQ(out.config_file, "");
  EXPECT_FALSE(out.config.is_set("realm"));
}

TEST(ConfigCommandLine, MissingExplicitFileIsAnError) {
  std::vector<std::string> args = {"-c", "/nonexistent/ferry/turnserver.conf"};
  auto out = load(args);
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(contains(all_messages(out), "/nonexistent/ferry/turnserver.conf"));
}

TEST(ConfigCommandLine, ScalarGivenTwiceOnTheCommandLineWarns) {
  auto out = load_args({"-p", "1", "-p", "2"});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.config.integer("listening-port"), 2);
  EXPECT_EQ(warnings(out).size(), 1u) << all_messages(out);
}

TEST(ConfigCommandLine, StrayArgumentIsAnError) {
  auto out = load_args({"turnserver.conf"});
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(contains(errors(out)[0].message, "unexpected argument")) << all_messages(out);
}

TEST(ConfigCommandLine, LibconfigFileChosenByName) {
  TempDir dir;
  auto file = dir.write("t.cfg", "realm = \"lc.org\";\n");
  std::vector<std::string> args = {"-c", file, "--check-config"};
  auto out = load(args);
  ASSERT_TRUE(out.ok()) << all_messages(out);
  EXPECT_EQ(out.config.string("realm"), "lc.org");
  EXPECT_EQ(out.action, Action::kCheckConfig);
}

}  // namespace
}  // namespace ferry::config::testing
