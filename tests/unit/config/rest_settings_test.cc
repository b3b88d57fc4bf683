// The TURN REST options: which store they build, and what the configuration is told.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "build_lines.h"
#include "ferry/auth/credential_store.h"
#include "ferry/auth/rest_secrets.h"
#include "ferry/config/config.h"
#include "ferry/config/settings.h"

namespace ferry::config {
namespace {

using testing::Built;

Built build(const std::vector<std::pair<std::string, std::string>>& lines) {
  return testing::build_lines(lines);
}

constexpr const char* kSecret = "0123456789abcdef0123456789abcdef";
constexpr const char* kOtherSecret = "fedcba9876543210fedcba9876543210";

// The store answers with the REST password's key under each secret, and not for `user` lines.
TEST(RestSettings, StaticAuthSecretBuildsTheRestStoreAndImpliesUseAuthSecret) {
  Built b = build({{"realm", "north.gov"},
                   {"static-auth-secret", kSecret},
                   {"static-auth-secret", kOtherSecret}});
  EXPECT_TRUE(b.diagnostics.empty()) << b.text;
  EXPECT_TRUE(b.settings.server.turn.turn_enabled);
  ASSERT_NE(b.settings.server.credentials, nullptr);
  const std::string name = "2000000000:alice";
  auth::Lookup l = b.settings.server.credentials->find(name, "north.gov", 1'900'000'000);
  ASSERT_EQ(l.status, auth::Lookup::Status::kFound);
  ASSERT_EQ(l.keys.size(), 2u);
  EXPECT_EQ(l.keys[0].md5, auth::md5_key(name, "north.gov", auth::rest_password(kSecret, name)));
  EXPECT_EQ(l.keys[1].md5,
            auth::md5_key(name, "north.gov", auth::rest_password(kOtherSecret, name)));
  EXPECT_EQ(b.settings.server.credentials->find(name, "north.gov", 2'000'000'000).status,
            auth::Lookup::Status::kExpired);
}

TEST(RestSettings, TheSeparatorIsOneCharacter) {
  Built dash =
      build({{"realm", "r"}, {"static-auth-secret", kSecret}, {"rest-api-separator", "-"}});
  EXPECT_FALSE(dash.error) << dash.text;
  EXPECT_EQ(dash.settings.server.credentials->find("2000000000-bob", "r", 1).status,
            auth::Lookup::Status::kFound);
  EXPECT_EQ(dash.settings.server.credentials->find("2000000000:bob", "r", 1).status,
            auth::Lookup::Status::kUnknown);
  Built two =
      build({{"realm", "r"}, {"static-auth-secret", kSecret}, {"rest-api-separator", "::"}});
  EXPECT_NE(two.text.find("r:3: error: 'rest-api-separator' must be exactly one character"),
            std::string::npos)
      << two.text;
}

// A digit separator makes the expiry ambiguous: with '1', the endpoint's "<expiry>1<user>" for
// an expiry starting with 1 has no digits before the first '1', so the name is read as
// "<user>1<expiry>" and a caller who picks the user "99999999999" holds a credential that never
// expires. Digits are refused, with the line.
TEST(RestSettings, TheSeparatorIsNotADigit) {
  EXPECT_EQ(auth::rest_expiry("1700086400"
                              "1"
                              "99999999999",
                              '1'),
            99'999'999'999);
  for (const char* digit : {"0", "1", "9"}) {
    Built b =
        build({{"realm", "r"}, {"static-auth-secret", kSecret}, {"rest-api-separator", digit}});
    EXPECT_TRUE(b.error) << digit;
    EXPECT_NE(b.text.find("r:3: error: 'rest-api-separator' must not be a digit"),
              std::string::npos)
        << b.text;
  }
}

// coturn ignores `user` lines in REST mode, silently; Ferry ignores them too, and says so.
TEST(RestSettings, UserAccountsAreNotUsedInRestModeAndTheConfigurationIsTold) {
  Built b = build({{"realm", "r"},
                   {"use-auth-secret", "true"},
                   {"static-auth-secret", kSecret},
                   {"user", "alice:password"}});
  EXPECT_NE(b.text.find("r:4: warning: 'user' accounts are not used: with 'use-auth-secret' only "
                        "the REST secrets' credentials are valid"),
            std::string::npos)
      << b.text;
  EXPECT_EQ(b.settings.server.credentials->find("alice", "r", 1).status,
            auth::Lookup::Status::kUnknown);
}

TEST(RestSettings, AnEmptySecretIsAnErrorAndAShortOneAWarning) {
  Built empty = build({{"realm", "r"}, {"static-auth-secret", ""}});
  EXPECT_NE(empty.text.find("r:2: error: 'static-auth-secret' is empty"), std::string::npos)
      << empty.text;
  Built shorter = build({{"realm", "r"}, {"static-auth-secret", "diveinedu"}});
  EXPECT_FALSE(shorter.error) << shorter.text;
  EXPECT_NE(shorter.text.find("r:2: warning: 'static-auth-secret' has 9 characters"),
            std::string::npos)
      << shorter.text;
}

TEST(RestSettings, UseAuthSecretWithoutASecretRefusesTurnAndSaysSo) {
  Built b = build({{"realm", "r"}, {"use-auth-secret", "true"}});
  EXPECT_NE(b.text.find("r:2: warning: 'use-auth-secret' without any 'static-auth-secret': TURN "
                        "requests will be refused"),
            std::string::npos)
      << b.text;
  EXPECT_FALSE(b.settings.server.turn.turn_enabled);
}

TEST(RestSettings, WithoutARealmTheDefaultIsUsedAndTheConfigurationIsTold) {
  Built b = build({{"static-auth-secret", kSecret}});
  EXPECT_NE(b.text.find("warning: 'realm' is not set: using 'ferry'"), std::string::npos) << b.text;
}

TEST(RestSettings, UsernameLabelsWarnThatEveryCredentialIsASeries) {
  Built b = build({{"realm", "r"},
                   {"static-auth-secret", kSecret},
                   {"prometheus", "true"},
                   {"prometheus-username-labels", "true"}});
  EXPECT_NE(b.text.find("r:4: warning: 'prometheus-username-labels' with REST secrets"),
            std::string::npos)
      << b.text;
}

}  // namespace
}  // namespace ferry::config
