// The TURN REST API's credentials: the published vectors, the username forms, expiry and
// rotation.
#include "ferry/auth/rest_secrets.h"

#include <gtest/gtest.h>

namespace ferry::auth {
namespace {

// CONFORMANCE.md's vectors (checked against coturn's own computation).
TEST(RestSecrets, PasswordVectors) {
  EXPECT_EQ(rest_password("north", "1433895918:ninefingers"), "jy8hTxmOO7UtEKXqSkSlvakPVYA=");
  EXPECT_EQ(rest_password("logen", "1514768400:user"), "TX0f7eWiaJJme8WDo08hqBGFvYc=");
}

TEST(RestSecrets, ExpiryInEveryUsernameForm) {
  EXPECT_EQ(rest_expiry("1433895918:ninefingers", ':'), 1433895918);  // the draft's form
  EXPECT_EQ(rest_expiry("ninefingers:1433895918", ':'), 1433895918);  // user first
  EXPECT_EQ(rest_expiry("1433895918", ':'), 1433895918);              // bare expiry
  EXPECT_EQ(rest_expiry("1433895918-bob", '-'), 1433895918);          // rest-api-separator
  EXPECT_EQ(rest_expiry("1433895918:a:b", ':'), 1433895918);  // the user part holds the separator
  EXPECT_EQ(rest_expiry("a:b:1433895918", ':'), 1433895918);
  // No expiry: never valid (it would never expire).
  for (const char* no : {"bob", "bob:alice", "", ":", "12a:bob", "bob:12a", "1433895918-bob",
                         "1234567890123456789:bob", "-5:bob", "+5:bob", " 5:bob"}) {
    EXPECT_EQ(rest_expiry(no, ':'), std::nullopt) << no;
  }
}

TEST(RestSecrets, AValidNameHasTheKeyOfItsPassword) {
  RestSecrets store({"north"}, "north.gov", ':');
  const std::string name = "1433895918:ninefingers";
  Lookup l = store.find(name, "north.gov", 1433895917);
  ASSERT_EQ(l.status, Lookup::Status::kFound);
  ASSERT_EQ(l.keys.size(), 1u);
  EXPECT_EQ(l.keys[0].md5, md5_key(name, "north.gov", "jy8hTxmOO7UtEKXqSkSlvakPVYA="));
  EXPECT_EQ(l.keys[0].sha256, sha256_key(name, "north.gov", "jy8hTxmOO7UtEKXqSkSlvakPVYA="));
}

TEST(RestSecrets, ExpiredAtItsExpirySecond) {
  RestSecrets store({"north"}, "north.gov", ':');
  EXPECT_EQ(store.find("1433895918:ninefingers", "north.gov", 1433895918).status,
            Lookup::Status::kExpired);
  EXPECT_TRUE(store.find("1433895918:ninefingers", "north.gov", 1433895918).keys.empty());
  EXPECT_EQ(store.find("1433895918:ninefingers", "north.gov", 1433895917).status,
            Lookup::Status::kFound);
}

TEST(RestSecrets, UnknownWithoutAnExpiryAnotherRealmOrNoSecret) {
  RestSecrets store({"north"}, "north.gov", ':');
  EXPECT_EQ(store.find("ninefingers", "north.gov", 1).status, Lookup::Status::kUnknown);
  EXPECT_EQ(store.find("1433895918:ninefingers", "south.gov", 1).status, Lookup::Status::kUnknown);
  RestSecrets none({}, "north.gov", ':');
  EXPECT_EQ(none.find("1433895918:ninefingers", "north.gov", 1).status, Lookup::Status::kUnknown);
}

// Rotation: every listed secret gives a valid password at once.
TEST(RestSecrets, EverySecretOfTheListIsValid) {
  RestSecrets store({"old", "new"}, "r", ':');
  const std::string name = "2000000000:bob";
  Lookup l = store.find(name, "r", 1);
  ASSERT_EQ(l.keys.size(), 2u);
  EXPECT_EQ(l.keys[0].md5, md5_key(name, "r", rest_password("old", name)));
  EXPECT_EQ(l.keys[1].md5, md5_key(name, "r", rest_password("new", name)));
}

}  // namespace
}  // namespace ferry::auth

namespace ferry::auth {
namespace {

// A REST username is made up by the web service and never stored here: no index can map a
// USERHASH back to it, so USERHASH is unsupported (the nonce cookie does not announce it) and
// every hash is unknown. SHA-256 itself works: the password, so the key, is known.
TEST(RestSecrets, NoUserhash) {
  RestSecrets store({"logen"}, "north.gov", ':');
  EXPECT_FALSE(store.supports_userhash());
  const NamedLookup l =
      store.find_by_userhash(userhash("1514768400:user", "north.gov"), "north.gov", 1'500'000'000);
  EXPECT_EQ(l.lookup.status, Lookup::Status::kUnknown);
  EXPECT_TRUE(store.find("1514768400:user", "north.gov", 1'500'000'000).keys.at(0).sha256);
}

}  // namespace
}  // namespace ferry::auth
