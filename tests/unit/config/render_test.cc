// Generated documentation: complete, and the committed copies current.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "test_files.h"

namespace ferry::config::testing {
namespace {

constexpr const char* kSourceDir = FERRY_SOURCE_DIR;

std::string source(const std::string& relative) {
  return std::string(kSourceDir) + "/" + relative;
}

std::string regenerate_hint() {
  return std::string(
             "regenerate with: cmake --build <build> --target ferry_docgen && "
             "<build>/bin/ferry_docgen ") +
         kSourceDir;
}

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// roff writes every '-' as \-.
std::string roff(const std::string& name) {
  std::string out;
  for (char c : name) out += c == '-' ? std::string("\\-") : std::string(1, c);
  return out;
}

// Every name appears as written in that document: "--name" in help and the command page,
// the bare name in the file-format page, the reference file and the markdown list.
TEST(ConfigRender, EveryOptionIsDocumented) {
  const auto help = render_help();
  const auto man8 = render_man8();
  const auto man5 = render_man5();
  const auto reference = render_reference_conf();
  const auto markdown = render_options_markdown();
  for (const auto& spec : option_table()) {
    const std::string name(spec.name);
    EXPECT_TRUE(contains(help, "--" + name)) << name;
    EXPECT_TRUE(contains(man8, "\\fB" + roff("--" + name) + "\\fR")) << name;
    EXPECT_TRUE(contains(man5, "\\fB" + roff(name) + "\\fR")) << name;
    EXPECT_TRUE(contains(reference, "\n#" + name + "\n") ||
                contains(reference, "\n#" + name + "=") ||
                (command_line_only(spec) && contains(reference, "--" + name)))
        << name;
    EXPECT_TRUE(contains(markdown, "`" + name + "`")) << name;
  }
}

TEST(ConfigRender, HelpIsGroupedAndShowsDefaults) {
  const auto help = render_help();
  EXPECT_TRUE(contains(help, "Usage: turnserver"));
  EXPECT_TRUE(contains(help, "\nListening:\n"));
  EXPECT_TRUE(contains(help, "-p, --listening-port PORT"));
  EXPECT_TRUE(contains(help, "[3478]"));
  EXPECT_TRUE(contains(help, "--stale-nonce[=SECONDS]"));
  EXPECT_TRUE(contains(help, "/etc/coturn/turnserver.conf"));
  EXPECT_LT(help.find("--listening-port"), help.find("--relay-ip"));
}

TEST(ConfigRender, EffectiveSettingsShowValuesOriginsAndHideSecrets) {
  TempDir dir;
  auto path = dir.write("e.conf",
                        "realm=example.org\nuser=alice:topsecret\nstatic-auth-secret=s3cr3t\n"
                        "fingerprint\nno-udp=false\n");
  std::vector<std::string> args = {"-c", path, "-p", "3499"};
  auto out = load(args);
  ASSERT_TRUE(out.ok()) << all_messages(out);
  const auto text = render_effective(out.config);
  EXPECT_TRUE(contains(text, "listening-port=3499")) << text;
  EXPECT_TRUE(contains(text, "# command line")) << text;
  EXPECT_TRUE(contains(text, "realm=example.org")) << text;
  EXPECT_TRUE(contains(text, "# " + path + ":1")) << text;
  EXPECT_TRUE(contains(text, "user=alice:(hidden)")) << text;
  EXPECT_FALSE(contains(text, "topsecret")) << text;
  EXPECT_FALSE(contains(text, "s3cr3t")) << text;
  EXPECT_TRUE(contains(text, "\nfingerprint ")) << text;
  EXPECT_TRUE(contains(text, "no-udp=false")) << text;
  EXPECT_FALSE(contains(text, "tls-listening-port")) << "only what is set";
  EXPECT_FALSE(contains(text, "config=")) << "-c is how the process started, not a setting";
}

TEST(ConfigRender, ReferenceFileLoadsCleanly) {
  // All commented out: reading it must give nothing and complain about nothing.
  auto out = load_file_only(source("etc/turnserver.conf.reference"));
  EXPECT_TRUE(out.diagnostics.empty()) << all_messages(out);
  EXPECT_TRUE(out.config.set_options().empty());
}

// etc/turnserver.conf already carries the credentials the TURN core will read (lt-cred-mech,
// realm, user); until then those lines are accepted with a "not supported yet" warning. Nothing
// else may be reported: no error, and no warning of any other kind.
TEST(ConfigRender, ShippedDefaultConfigLoadsWithoutDiagnostics) {
  const auto path = source("etc/turnserver.conf");
  auto out = load_file_only(path);
  EXPECT_TRUE(out.ok()) << all_messages(out);
  // The default an operator starts from uses only implemented options: not one warning.
  EXPECT_TRUE(out.diagnostics.empty()) << all_messages(out);

  EXPECT_EQ(out.config.integer("listening-port"), 3478);
  EXPECT_EQ(out.config.list("listening-ip"), (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_TRUE(out.config.flag("lt-cred-mech"));
  EXPECT_FALSE(out.config.string("realm").empty());
  EXPECT_EQ(out.config.list("user").size(), 1u);
}

TEST(ConfigStaleness, ManPageTurnserver8) {
  EXPECT_TRUE(read(source("man/turnserver.8")) == render_man8())
      << "man/turnserver.8 is stale; " << regenerate_hint();
}

TEST(ConfigStaleness, ManPageTurnserverConf5) {
  EXPECT_TRUE(read(source("man/turnserver.conf.5")) == render_man5())
      << "man/turnserver.conf.5 is stale; " << regenerate_hint();
}

TEST(ConfigStaleness, ReferenceConf) {
  EXPECT_TRUE(read(source("etc/turnserver.conf.reference")) == render_reference_conf())
      << "etc/turnserver.conf.reference is stale; " << regenerate_hint();
}

TEST(ConfigStaleness, ConfigurationMarkdownOptionList) {
  const auto doc = read(source("docs/CONFIGURATION.md"));
  const std::string begin = "<!-- BEGIN GENERATED OPTIONS (ferry_docgen) -->\n";
  const std::string end = "<!-- END GENERATED OPTIONS -->\n";
  auto b = doc.find(begin);
  auto e = doc.find(end);
  ASSERT_NE(b, std::string::npos) << "docs/CONFIGURATION.md lacks its markers";
  ASSERT_NE(e, std::string::npos) << "docs/CONFIGURATION.md lacks its markers";
  b += begin.size();
  EXPECT_TRUE(doc.substr(b, e - b) == render_options_markdown())
      << "the option list in docs/CONFIGURATION.md is stale; " << regenerate_hint();
}

}  // namespace
}  // namespace ferry::config::testing
