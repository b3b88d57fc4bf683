// TURN REST credentials through the core (draft-uberti-behave-turn-rest-00 §2.2): a name minted
// from a listed secret allocates; an expired one, a wrong HMAC or a removed secret is 401, and
// each is counted; the wall clock decides expiry, and without one everything reads as expired.
#include <gtest/gtest.h>

#include <string>

#include "core_harness.h"
#include "ferry/auth/rest_secrets.h"
#include "ferry/turn/dispatcher.h"
#include "turn_client_fake.h"

namespace ferry::turn {
namespace {

using testing::TurnClient;

constexpr std::int64_t kNow = 1'700'000'000;

class RestAuthTest : public ::testing::Test {
 protected:
  void start(std::vector<std::string> secrets) {
    testing::enable_turn(h);
    store = std::make_unique<auth::RestSecrets>(std::move(secrets), "example.org", ':');
    h.credentials = store.get();
    h.wall.now = kNow;
    h.start();
  }
  // A client with the REST credential `secret` mints for `user`, valid for `ttl` seconds.
  TurnClient minted(const char* from, const std::string& secret, std::int64_t ttl,
                    const std::string& user = "alice") {
    const std::string name = std::to_string(kNow + ttl) + ":" + user;
    return TurnClient{h, testing::udp_tuple(from), name, auth::rest_password(secret, name)};
  }

  testing::CoreHarness h;
  std::unique_ptr<auth::RestSecrets> store;
};

TEST_F(RestAuthTest, AMintedCredentialAllocatesAndRefreshes) {
  start({"north-secret"});
  TurnClient c = minted("198.51.100.7:40000", "north-secret", 3600);
  EXPECT_TRUE(c.allocate().success()) << c.last().error();
  EXPECT_TRUE(c.refresh(600).success());
  EXPECT_EQ(h.server->allocation_count(), 1u);
}

// A stale nonce is the same 438 for a REST credential; the fresh nonce works with the same
// credential (the client's TurnClient retries once).
TEST_F(RestAuthTest, AStaleNonceIs438ThenTheCredentialWorks) {
  h.settings.nonce_lifetime = Seconds(60);  // shorter than the allocation's 600 s
  start({"north-secret"});
  TurnClient c = minted("198.51.100.7:40000", "north-secret", 7200);
  ASSERT_TRUE(c.allocate().success());
  h.advance(h.settings.nonce_lifetime + Seconds(1));
  EXPECT_TRUE(c.refresh(600).success());
  EXPECT_EQ(h.server->counters().auth_stale_nonce.get(), 1u);
}

TEST_F(RestAuthTest, AnExpiredCredentialIs401AndCounted) {
  start({"north-secret"});
  TurnClient past = minted("198.51.100.7:40000", "north-secret", -1);
  EXPECT_EQ(past.allocate().error(), 401);
  EXPECT_EQ(h.server->counters().auth_expired.get(), 1u);
  EXPECT_EQ(h.server->allocation_count(), 0u);
}

// An allocation outlives its credential's expiry (as coturn: the expiry bounds when it may be
// used to authenticate); the next request signed with it is refused.
TEST_F(RestAuthTest, ARefreshAfterTheExpiryIs401) {
  start({"north-secret"});
  TurnClient c = minted("198.51.100.7:40000", "north-secret", 60);
  ASSERT_TRUE(c.allocate().success());
  h.wall.now = kNow + 60;
  EXPECT_EQ(c.refresh(600).error(), 401);
  EXPECT_EQ(h.server->counters().auth_expired.get(), 1u);
}

TEST_F(RestAuthTest, AWrongHmacIs401) {
  start({"north-secret"});
  TurnClient forged = minted("198.51.100.7:40000", "guessed-secret", 3600);
  EXPECT_EQ(forged.allocate().error(), 401);
  EXPECT_EQ(h.server->counters().auth_bad_integrity.get(), 1u);
  TurnClient no_expiry{h, testing::udp_tuple("198.51.100.8:40000"), "alice",
                       auth::rest_password("north-secret", "alice")};
  EXPECT_EQ(no_expiry.allocate().error(), 401);
  EXPECT_EQ(h.server->counters().auth_unknown_user.get(), 1u);
}

// Rotation: both secrets valid at once; the old one's credentials fail once it is removed (a
// new store is what a reload or a database change builds).
TEST_F(RestAuthTest, TwoSecretsAreValidAndARemovedOneIsNot) {
  start({"old-secret", "new-secret"});
  TurnClient old_c = minted("198.51.100.7:40000", "old-secret", 3600);
  TurnClient new_c = minted("198.51.100.8:40000", "new-secret", 3600, "bob");
  EXPECT_TRUE(old_c.allocate().success());
  EXPECT_TRUE(new_c.allocate().success());

  auth::RestSecrets rotated({"new-secret"}, "example.org", ':');
  h.credentials = &rotated;
  h.start();
  TurnClient old_again = minted("198.51.100.9:40000", "old-secret", 3600);
  TurnClient new_again = minted("198.51.100.10:40000", "new-secret", 3600, "bob");
  EXPECT_EQ(old_again.allocate().error(), 401);
  EXPECT_TRUE(new_again.allocate().success());
}

// Time is an argument: a core given no wall clock cannot tell an expiry, so it refuses.
TEST_F(RestAuthTest, WithoutAWallClockEveryRestCredentialIsExpired) {
  testing::enable_turn(h);
  store = std::make_unique<auth::RestSecrets>(std::vector<std::string>{"s"}, "example.org", ':');
  h.server = std::make_unique<Dispatcher>(
      Dependencies{h.settings, h.egress, h.relays, *store, h.nonces, h.quotas});
  TurnClient c = minted("198.51.100.7:40000", "s", 1'000'000'000);
  EXPECT_EQ(c.allocate().error(), 401);
  EXPECT_EQ(h.server->counters().auth_expired.get(), 1u);
}

}  // namespace
}  // namespace ferry::turn
