// What the operator is told: unknown names, bad values, support status, duplicates, and the two
// real-world coturn configurations that must load unchanged.
#include <gtest/gtest.h>

#include "test_files.h"

namespace ferry::config::testing {
namespace {

constexpr const char* kData = FERRY_CONFIG_TEST_DATA;

TEST(ConfigDiagnostics, UnknownOptionNamesFileLineAndTheNearestName) {
  TempDir dir;
  auto path = dir.write("x.conf", "realm=x\n\nlistening-prot=3478\n");
  auto out = load_file_only(path);
  ASSERT_FALSE(out.ok());
  auto e = errors(out);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].to_string(), path +
                                  ":3: error: unknown option 'listening-prot'; did you mean "
                                  "'listening-port'?");
}

TEST(ConfigDiagnostics, UnknownOptionWithNothingCloseHasNoSuggestion) {
  TempDir dir;
  auto out = load_text(dir, "completely-unrelated-thing=1\n");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(errors(out)[0].message, "unknown option 'completely-unrelated-thing'");
}

TEST(ConfigDiagnostics, Suggestions) {
  EXPECT_EQ(nearest_option("listen-port"), "listening-port");
  EXPECT_EQ(nearest_option("listening_ip"), "listening-ip");
  EXPECT_EQ(nearest_option("fingerprints"), "fingerprint");
  EXPECT_EQ(nearest_option("ca-file"), "CA-file");
  EXPECT_EQ(nearest_option("relay-thread"), "relay-threads");
  EXPECT_EQ(nearest_option("xyzzy"), "");
}

TEST(ConfigDiagnostics, BadIntegerNamesTypeAndRange) {
  TempDir dir;
  auto path = dir.write("v.conf", "listening-port=abc\n");
  auto out = load_file_only(path);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(errors(out)[0].to_string(),
            path + ":1: error: 'listening-port' expects an integer 0..65535, got 'abc'");
  out = load_text(dir, "listening-port=65536\n");
  EXPECT_TRUE(contains(errors(out)[0].message, "0..65535, got '65536'")) << all_messages(out);
  out = load_text(dir, "min-port=0\n");
  EXPECT_FALSE(out.ok());
  out = load_text(dir, "relay-threads=-1\n");
  EXPECT_FALSE(out.ok());
  out = load_text(dir, "listening-port=0x10\n");
  EXPECT_FALSE(out.ok());
  out = load_text(dir, "max-bps=99999999999999999999\n");
  EXPECT_FALSE(out.ok());
  out = load_text(dir, "max-bps=10000000000\n");
  EXPECT_TRUE(out.ok()) << all_messages(out);
  EXPECT_EQ(out.config.integer("max-bps"), 10000000000);
}

TEST(ConfigDiagnostics, NotYetWarnsOnceByName) {
  TempDir dir;
  auto path = dir.write("n.conf", "CA-file=/a.pem\nCA-file=/b.pem\n");
  std::vector<std::string> args = {"-c", path, "--CA-file", "/c.pem"};
  auto out = load(args);
  ASSERT_TRUE(out.ok()) << all_messages(out);
  int not_yet = 0;
  for (const auto& w : warnings(out)) {
    if (contains(w.message, "not supported yet")) {
      ++not_yet;
      EXPECT_EQ(w.to_string(),
                path + ":1: warning: option 'CA-file' is not supported yet and is ignored");
    }
  }
  EXPECT_EQ(not_yet, 1) << all_messages(out);
  EXPECT_EQ(out.config.string("CA-file"), "/c.pem") << "kept, so implementing it is a table edit";
}

TEST(ConfigDiagnostics, ObsoleteWarnsWithTheReplacementAndIsNotStored) {
  TempDir dir;
  auto out = load_text(dir, "dh566\nsha256\n");
  ASSERT_TRUE(out.ok());
  auto w = warnings(out);
  ASSERT_EQ(w.size(), 2u) << all_messages(out);
  EXPECT_TRUE(contains(w[0].message, "'dh566' is obsolete")) << w[0].message;
  EXPECT_TRUE(contains(w[0].message, "dh-file")) << w[0].message;
  EXPECT_TRUE(contains(w[1].message, "RFC 8489")) << w[1].message;
  EXPECT_FALSE(out.config.is_set("sha256"));
}

// Options that ask for what Ferry always does cost the operator nothing: no warning (issue 17
// item 2), so that a coturn config warns only about what it actually loses.
TEST(ConfigDiagnostics, AlwaysSoOptionsAreAcceptedSilently) {
  TempDir dir;
  auto out = load_text(dir,
                       "no-loopback-peers\nno-multicast-peers\nno-sslv3\nno-sslv2\nno-tlsv1\n"
                       "no-tlsv1_1\nno-cli\nno-rfc5780\nno-dynamic-realms\nno-dynamic-ip-list\n"
                       "lt-cred-mech\nne=3\n");
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out.diagnostics.empty()) << all_messages(out);
  for (const char* name : {"no-loopback-peers", "no-cli", "no-tlsv1", "no-rfc5780"}) {
    EXPECT_EQ(find_option(name)->support, Support::kAlways) << name;
  }
  // Turning off a protocol version Ferry does offer is not one of them.
  EXPECT_EQ(find_option("no-tlsv1_2")->support, Support::kImplemented);
}

TEST(ConfigDiagnostics, RepeatedScalarInOneFileWarnsAndTheLastWins) {
  TempDir dir;
  auto path =
      dir.write("d.conf", "listening-port=3478\nlog-file=/tmp/x.log\nlistening-port=3479\n");
  auto out = load_file_only(path);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.config.integer("listening-port"), 3479);
  auto w = warnings(out);
  ASSERT_EQ(w.size(), 1u) << all_messages(out);
  EXPECT_EQ(w[0].where, path + ":3");
  EXPECT_TRUE(contains(w[0].message, path + ":1")) << w[0].message;
}

TEST(ConfigDiagnostics, AliasAndNameTogetherCountAsARepeat) {
  TempDir dir;
  auto out = load_text(dir, "userdb=/a\ndb=/b\n");
  EXPECT_EQ(out.config.string("userdb"), "/b");
  EXPECT_TRUE(contains(all_messages(out), "set again")) << all_messages(out);
}

TEST(ConfigDiagnostics, AllProblemsOfAFileAreReportedNotJustTheFirst) {
  TempDir dir;
  auto out = load_text(dir, "bogus-one\nlistening-port=x\nbogus-two=3\n");
  EXPECT_EQ(errors(out).size(), 3u) << all_messages(out);
}

void expect_only_warnings_with_lines(const std::string& path) {
  auto out = load_file_only(path);
  EXPECT_TRUE(out.ok()) << all_messages(out);
  EXPECT_TRUE(errors(out).empty()) << all_messages(out);
  for (const auto& w : warnings(out)) {
    EXPECT_TRUE(contains(w.where, path + ":")) << w.to_string();
  }
}

TEST(ConfigRealWorld, FirstConfigLoadsWithoutDiagnostics) {
  const auto path = std::string(kData) + "/real_world_1.conf";
  expect_only_warnings_with_lines(path);
  auto out = load_file_only(path);
  EXPECT_EQ(out.config.integer("listening-port"), 3478);
  EXPECT_EQ(out.config.list("external-ip"), (std::vector<std::string>{"39.105.185.198"}));
  EXPECT_EQ(out.config.string("realm"), "stun.xxx.cn");
  EXPECT_EQ(out.config.list("user"), (std::vector<std::string>{"aaaaaa:bbbbbb"}));
  // Every option of this coturn config is implemented: it loads without a single warning.
  EXPECT_TRUE(out.diagnostics.empty()) << all_messages(out);
}

TEST(ConfigRealWorld, SecondConfigLoadsWithWarningsOnly) {
  const auto path = std::string(kData) + "/real_world_2.conf";
  expect_only_warnings_with_lines(path);
  auto out = load_file_only(path);
  EXPECT_TRUE(out.config.flag("Verbose"));
  EXPECT_TRUE(out.config.flag("fingerprint"));
  EXPECT_TRUE(out.config.flag("lt-cred-mech"));
  EXPECT_EQ(out.config.list("user").size(), 2u);
  EXPECT_EQ(out.config.list("listening-ip"), (std::vector<std::string>{"106.186.127.1"}));
  EXPECT_EQ(out.config.integer("stale-nonce"), 600);
  const auto text = all_messages(out);
  // Warned: what this server loses (not yet implemented) or what cannot be had (obsolete).
  for (const char* name : {"sha256"}) {
    EXPECT_TRUE(contains(text, std::string("'") + name + "'")) << name << "\n" << text;
  }
  // Silent: what Ferry always does.
  for (const char* name : {"no-loopback-peers", "no-multicast-peers", "no-cli", "lt-cred-mech",
                           "mobility", "use-auth-secret", "static-auth-secret"}) {
    EXPECT_FALSE(contains(text, std::string("'") + name + "'")) << name << "\n" << text;
  }
}

TEST(ConfigRealWorld, CheckConfigThroughLoad) {
  std::vector<std::string> args = {"--check-config", "-c",
                                   std::string(kData) + "/real_world_2.conf"};
  auto out = load(args);
  EXPECT_TRUE(out.ok()) << all_messages(out);
  EXPECT_EQ(out.action, Action::kCheckConfig);
}

TEST(ConfigDiagnostics, ToStringFormat) {
  Diagnostic e{Diagnostic::Severity::kError, "a.conf:3", "bad"};
  Diagnostic w{Diagnostic::Severity::kWarning, "command line", "hmm"};
  EXPECT_EQ(e.to_string(), "a.conf:3: error: bad");
  EXPECT_EQ(w.to_string(), "command line: warning: hmm");
}

}  // namespace
}  // namespace ferry::config::testing
