// The table itself: coturn's names and letters are all there, with coturn's defaults.
#include <gtest/gtest.h>

#include <set>

#include "test_files.h"

namespace ferry::config::testing {
namespace {

// Every long option the coturn 4.6.1 turnserver binary (Debian) accepts, plus those a build with
// Prometheus or MongoDB support adds.
const char* const kCoturnNames[] = {"CA-file",
                                    "Verbose",
                                    "acme-redirect",
                                    "allocation-default-address-family",
                                    "allow-loopback-peers",
                                    "allowed-peer-ip",
                                    "alt-listening-port",
                                    "alt-tls-listening-port",
                                    "alternate-server",
                                    "aux-server",
                                    "bps-capacity",
                                    "cert",
                                    "channel-lifetime",
                                    "check-origin-consistency",
                                    "cipher-list",
                                    "cli-ip",
                                    "cli-max-output-sessions",
                                    "cli-password",
                                    "cli-port",
                                    "daemon",
                                    "db",
                                    "denied-peer-ip",
                                    "dh-file",
                                    "dh1066",
                                    "dh566",
                                    "ec-curve-name",
                                    "external-ip",
                                    "fingerprint",
                                    "keep-address-family",
                                    "listening-device",
                                    "listening-ip",
                                    "listening-port",
                                    "log-binding",
                                    "log-file",
                                    "lt-cred-mech",
                                    "max-allocate-lifetime",
                                    "max-allocate-timeout",
                                    "max-bps",
                                    "max-port",
                                    "min-port",
                                    "mobility",
                                    "mysql-userdb",
                                    "ne",
                                    "new-log-timestamp",
                                    "new-log-timestamp-format",
                                    "no-auth",
                                    "no-auth-pings",
                                    "no-cli",
                                    "no-dtls",
                                    "no-dynamic-ip-list",
                                    "no-dynamic-realms",
                                    "no-multicast-peers",
                                    "no-rfc5780",
                                    "no-software-attribute",
                                    "no-sslv2",
                                    "no-sslv3",
                                    "no-stdout-log",
                                    "no-stun",
                                    "no-stun-backward-compatibility",
                                    "no-tcp",
                                    "no-tcp-relay",
                                    "no-tls",
                                    "no-tlsv1",
                                    "no-tlsv1_1",
                                    "no-tlsv1_2",
                                    "no-udp",
                                    "no-udp-relay",
                                    "oauth",
                                    "permission-lifetime",
                                    "pidfile",
                                    "pkey",
                                    "pkey-pwd",
                                    "proc-group",
                                    "proc-user",
                                    "prod",
                                    "psql-userdb",
                                    "realm",
                                    "redis-statsdb",
                                    "redis-userdb",
                                    "relay-device",
                                    "relay-ip",
                                    "relay-threads",
                                    "response-origin-only-with-rfc5780",
                                    "rest-api-separator",
                                    "secret-key-file",
                                    "secret-ts-exp-time",
                                    "secure-stun",
                                    "server-name",
                                    "server-relay",
                                    "simple-log",
                                    "sql-userdb",
                                    "stale-nonce",
                                    "static-auth-secret",
                                    "stun-only",
                                    "syslog",
                                    "syslog-facility",
                                    "tcp-proxy-port",
                                    "tls-alternate-server",
                                    "tls-listening-port",
                                    "total-quota",
                                    "udp-self-balance",
                                    "use-auth-secret",
                                    "user",
                                    "user-quota",
                                    "userdb",
                                    "verbose",
                                    "version",
                                    "web-admin",
                                    "web-admin-ip",
                                    "web-admin-listen-on-workers",
                                    "web-admin-port",
                                    "prometheus",
                                    "prometheus-port",
                                    "prometheus-username-labels",
                                    "mongo-userdb"};

TEST(ConfigOptionTable, KnowsEveryCoturnName) {
  for (const char* name : kCoturnNames) EXPECT_NE(find_option(name), nullptr) << name;
}

TEST(ConfigOptionTable, KnowsFerryAndOldCoturnNames) {
  for (const char* name :
       {"check-config", "help", "config", "no-config", "no-web", "web-listening-ip",
        "web-listening-port", "web-cert", "web-pkey", "web-test-credentials", "sha256",
        "no-loopback-peers", "rfc5766-channel-numbers"}) {
    EXPECT_NE(find_option(name), nullptr) << name;
  }
}

TEST(ConfigOptionTable, CoturnLetters) {
  const std::pair<char, const char*> letters[] = {{'a', "lt-cred-mech"},
                                                  {'b', "userdb"},
                                                  {'c', "config"},
                                                  {'d', "listening-device"},
                                                  {'e', "psql-userdb"},
                                                  {'f', "fingerprint"},
                                                  {'h', "help"},
                                                  {'i', "relay-device"},
                                                  {'l', "log-file"},
                                                  {'m', "relay-threads"},
                                                  {'n', "no-config"},
                                                  {'o', "daemon"},
                                                  {'p', "listening-port"},
                                                  {'q', "user-quota"},
                                                  {'r', "realm"},
                                                  {'s', "max-bps"},
                                                  {'u', "user"},
                                                  {'v', "verbose"},
                                                  {'z', "no-auth"},
                                                  {'A', "allocation-default-address-family"},
                                                  {'B', "bps-capacity"},
                                                  {'C', "rest-api-separator"},
                                                  {'E', "relay-ip"},
                                                  {'J', "mongo-userdb"},
                                                  {'K', "keep-address-family"},
                                                  {'L', "listening-ip"},
                                                  {'M', "mysql-userdb"},
                                                  {'N', "redis-userdb"},
                                                  {'O', "redis-statsdb"},
                                                  {'Q', "total-quota"},
                                                  {'S', "stun-only"},
                                                  {'V', "Verbose"},
                                                  {'X', "external-ip"}};
  for (auto [letter, name] : letters) {
    const auto* spec = find_short_option(letter);
    ASSERT_NE(spec, nullptr) << letter;
    EXPECT_EQ(spec->name, name) << letter;
  }
  EXPECT_EQ(find_short_option('x'), nullptr);
}

TEST(ConfigOptionTable, LookupIsExactAndCaseSensitive) {
  EXPECT_EQ(find_option("verbose")->short_flag, 'v');
  EXPECT_EQ(find_option("Verbose")->short_flag, 'V');
  EXPECT_EQ(find_option("VERBOSE"), nullptr);
  EXPECT_EQ(find_option("listening"), nullptr) << "no prefix matching";
  EXPECT_EQ(find_option(""), nullptr);
}

TEST(ConfigOptionTable, RowsAreConsistent) {
  std::set<std::string_view> names;
  std::set<std::string_view> sections;
  for (const auto& s : section_names()) sections.insert(s.name);
  for (const auto& spec : option_table()) {
    EXPECT_TRUE(names.insert(spec.name).second) << spec.name;
    EXPECT_FALSE(spec.help.empty()) << spec.name;
    EXPECT_TRUE(sections.count(spec.section)) << spec.name;
    EXPECT_EQ(spec.repeatable, spec.type == OptionType::kList) << spec.name;
    const bool noted = spec.support == Support::kObsolete || spec.support == Support::kAlways;
    EXPECT_EQ(noted, !spec.note.empty()) << spec.name;
  }
}

// Implemented means bound (issue 17 item 1): a row either fills a settings field or is an
// action of the loader; no other list of implemented options exists to keep in step.
TEST(ConfigOptionTable, ImplementedRowsAreBound) {
  int implemented = 0;
  for (const auto& spec : option_table()) {
    if (spec.support != Support::kImplemented) {
      EXPECT_EQ(spec.apply, nullptr) << spec.name;
      continue;
    }
    ++implemented;
    EXPECT_TRUE((spec.apply != nullptr) != spec.command_line) << spec.name;
  }
  EXPECT_GE(implemented, 55);
}

TEST(ConfigOptionTable, ListOptionsRepeat) {
  for (const char* name : {"user", "listening-ip", "relay-ip", "external-ip", "denied-peer-ip",
                           "allowed-peer-ip", "static-auth-secret", "alternate-server"}) {
    EXPECT_EQ(find_option(name)->type, OptionType::kList) << name;
  }
  EXPECT_EQ(find_option("stale-nonce")->type, OptionType::kFlagOrInt);
}

TEST(ConfigOptionTable, CommandLineOnlyAndSecrets) {
  EXPECT_TRUE(command_line_only(*find_option("config")));
  EXPECT_TRUE(command_line_only(*find_option("check-config")));
  EXPECT_FALSE(command_line_only(*find_option("realm")));
  EXPECT_TRUE(is_secret(*find_option("static-auth-secret")));
  EXPECT_TRUE(is_secret(*find_option("user")));
  EXPECT_FALSE(is_secret(*find_option("realm")));
}

}  // namespace
}  // namespace ferry::config::testing
