// The credential endpoint's options (web-credential-*, web-test-credentials): what the HTTP
// settings get, and what the configuration is told when they cannot work.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "build_lines.h"
#include "ferry/config/config.h"
#include "ferry/config/settings.h"

namespace ferry::config {
namespace {

using testing::Built;

Built build(const std::vector<std::pair<std::string, std::string>>& lines) {
  return testing::build_lines(lines);
}

constexpr const char* kSecret = "0123456789abcdef0123456789abcdef";
constexpr const char* kNewSecret = "fedcba9876543210fedcba9876543210";
constexpr const char* kKey = "key-0123456789abcdef0123456789";

TEST(CredentialEndpointSettings, OffByDefault) {
  Built b = build({});
  EXPECT_FALSE(b.settings.http.credential_endpoint());
  EXPECT_FALSE(b.settings.http.test_credentials);
  EXPECT_EQ(b.settings.http.credential_ttl, 86400);
  EXPECT_EQ(b.settings.http.credential_rate, 10u);
}

// Rotation: the first listed secret mints, every listed one stays valid for TURN.
TEST(CredentialEndpointSettings, TheFirstSecretMints) {
  Built b = build({{"realm", "r"},
                   {"static-auth-secret", kNewSecret},
                   {"static-auth-secret", kSecret},
                   {"rest-api-separator", "-"},
                   {"web-credential-key", kKey},
                   {"web-credential-key", "second-key-0123456789abcdef"},
                   {"web-credential-origin", "https://app.example.org"},
                   {"web-credential-ttl", "3600"}});
  EXPECT_FALSE(b.error) << b.text;
  EXPECT_TRUE(b.settings.http.credential_endpoint());
  EXPECT_EQ(b.settings.http.mint_secret, kNewSecret);
  EXPECT_EQ(b.settings.http.rest_separator, '-');
  EXPECT_EQ(b.settings.http.credential_keys.size(), 2u);
  EXPECT_EQ(b.settings.http.credential_origins,
            std::vector<std::string>{"https://app.example.org"});
  EXPECT_EQ(b.settings.http.credential_ttl, 3600);
}

TEST(CredentialEndpointSettings, NoRestSecretIsAnErrorNamingTheOptions) {
  for (const auto& line : std::vector<std::pair<const char*, const char*>>{
           {"web-credential-key", kKey}, {"web-test-credentials", "true"}}) {
    Built b = build({line});
    EXPECT_TRUE(b.error) << line.first;
    EXPECT_NE(b.text.find("'" + std::string(line.first) + "' needs 'static-auth-secret'"),
              std::string::npos)
        << b.text;
  }
  Built b = build({{"use-auth-secret", "true"}, {"web-credential-key", kKey}});
  EXPECT_TRUE(b.error) << b.text;
}

TEST(CredentialEndpointSettings, KeysOriginsAndTheListener) {
  Built empty = build({{"static-auth-secret", kSecret}, {"web-credential-key", ""}});
  EXPECT_TRUE(empty.error);
  EXPECT_NE(empty.text.find("'web-credential-key' is empty"), std::string::npos) << empty.text;
  Built shortkey = build({{"static-auth-secret", kSecret}, {"web-credential-key", "abc"}});
  EXPECT_FALSE(shortkey.error);
  EXPECT_NE(shortkey.text.find("has 3 characters"), std::string::npos) << shortkey.text;
  EXPECT_EQ(shortkey.text.find("'abc'"), std::string::npos);  // the key is never quoted
  for (const char* bad : {"*", "https://app.example.org/", "app.example.org"}) {
    Built b = build({{"static-auth-secret", kSecret},
                     {"web-credential-key", kKey},
                     {"web-credential-origin", bad}});
    EXPECT_TRUE(b.error) << bad;
  }
  Built noweb =
      build({{"static-auth-secret", kSecret}, {"web-credential-key", kKey}, {"no-web", "true"}});
  EXPECT_TRUE(noweb.error);
  EXPECT_NE(noweb.text.find("'no-web'"), std::string::npos) << noweb.text;
  Built alone = build({{"web-credential-origin", "https://app.example.org"}});
  EXPECT_FALSE(alone.error);
  EXPECT_NE(alone.text.find("the credential endpoint is off"), std::string::npos) << alone.text;
}

// A key and the passwords it buys, over plain HTTP on a public address: said at start.
TEST(CredentialEndpointSettings, APublicListenerWithoutTlsWarns) {
  const std::vector<std::pair<std::string, std::string>> base = {
      {"realm", "r"}, {"static-auth-secret", kSecret}, {"web-credential-key", kKey}};
  auto with = [&](std::vector<std::pair<std::string, std::string>> more) {
    auto lines = base;
    lines.insert(lines.end(), more.begin(), more.end());
    return build(lines);
  };
  const std::string warning = "r:3: warning: 'web-credential-key' on 192.0.2.10 without 'web-cert'";
  EXPECT_NE(with({{"web-listening-ip", "192.0.2.10"}}).text.find(warning), std::string::npos)
      << with({{"web-listening-ip", "192.0.2.10"}}).text;
  EXPECT_EQ(with({}).text.find("without 'web-cert'"), std::string::npos);  // loopback: fine
  EXPECT_EQ(with({{"web-listening-ip", "192.0.2.10"},
                  {"web-cert", "/etc/ferry/web.pem"},
                  {"web-pkey", "/etc/ferry/web.key"}})
                .text.find("without 'web-cert'"),
            std::string::npos);
}

}  // namespace
}  // namespace ferry::config
