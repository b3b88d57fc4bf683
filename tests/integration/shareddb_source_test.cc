// The Redis and PostgreSQL snapshot sources on their own, against real servers on loopback:
// the snapshot's bounds refuse a huge key space or table before it is held whole, version()
// changes with every write and only then, clear Redis passwords are keyed, and a source
// reconnects by itself after the server restarts.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "db_servers.h"
#include "ferry/auth/long_term_key.h"
#include "ferry/userdb/admin.h"
#include "ferry/userdb_pg/pg_source.h"
#include "ferry/userdb_redis/client.h"
#include "ferry/userdb_redis/redis_source.h"

namespace ferry::testing {
namespace {

using userdb_redis::RedisClient;
using userdb_redis::RedisSource;

class RedisSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = redis_unavailable(); !why.empty()) GTEST_SKIP() << why;
    redis_ = std::make_unique<RedisServer>();
    ASSERT_TRUE(redis_->running()) << redis_->why();
    auto c = RedisClient::connect(info());
    ASSERT_TRUE(c) << c.error();
    client_.emplace(std::move(*c));
  }
  userdb_redis::RedisConnInfo info() const {
    return *userdb_redis::parse_redis_conninfo(redis_->conninfo());
  }
  // `n` keys made by `key(i)` with `value`, in pipelined batches.
  template <class Key>
  void fill(int n, Key key, const std::string& value) {
    for (int at = 0; at < n; at += 1000) {
      std::vector<std::string> keys;
      for (int i = at; i < std::min(n, at + 1000); ++i) keys.push_back(key(i));
      std::vector<std::vector<std::string_view>> cmds;
      for (const auto& k : keys) cmds.push_back({"SET", k, value});
      ASSERT_TRUE(client_->pipeline(cmds));
    }
  }
  Expected<std::shared_ptr<const auth::UserDbSnapshot>> load(RedisSource& s,
                                                             auth::SnapshotLimits limits = {}) {
    auth::SnapshotBuilder b(limits);
    if (auto ok = s.load(b); !ok) return std::move(ok).failure();
    return std::move(b).finish();
  }
  std::unique_ptr<RedisServer> redis_;
  std::optional<RedisClient> client_;
};

TEST_F(RedisSourceTest, BoundsRefuseAHugeKeySpaceBeforeHoldingIt) {
  const std::string key = userdb::md5_key_hex("u", "example.org", "pw");
  fill(
      60, [](int i) { return "turn/realm/example.org/user/u" + std::to_string(i) + "/key"; }, key);
  RedisSource source(info());
  auto few = load(source, {.max_users = 50});
  ASSERT_FALSE(few);
  EXPECT_NE(few.error().find("more than 50 users"), std::string::npos) << few.error();
  // A secret set over the bound is refused from its size (SCARD), before SMEMBERS.
  std::vector<std::string_view> sadd{"SADD", "turn/realm/example.org/secret"};
  std::vector<std::string> secrets;
  for (int i = 0; i < 100; ++i) secrets.push_back("secret-" + std::to_string(i));
  for (const auto& s : secrets) sadd.push_back(s);
  ASSERT_TRUE(client_->command(sadd));
  auto many = load(source);
  ASSERT_FALSE(many);
  EXPECT_NE(many.error().find("100 members in the secrets of realm 'example.org', more than 64"),
            std::string::npos)
      << many.error();
  ASSERT_TRUE(client_->command({"DEL", "turn/realm/example.org/secret"}));
  // Keys of no user database (coturn's allocation statistics) count toward nothing.
  fill(
      20000, [](int i) { return "turn/user/u/allocation/" + std::to_string(i) + "/status"; },
      "new lifetime=600");
  const auto started = std::chrono::steady_clock::now();
  auto ok = load(source);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  ASSERT_TRUE(ok) << ok.error();
  EXPECT_EQ((*ok)->users, 60u);
  // And the key walk itself is bounded: far more user keys than the bounds allow is refused
  // while scanning, before any value is fetched.
  fill(
      10100, [](int i) { return "turn/realm/example.org/user/b" + std::to_string(i) + "/key"; },
      key);
  auto tiny = load(source, {.max_users = 1, .max_other_rows = 1});
  ASSERT_FALSE(tiny);
  EXPECT_NE(tiny.error().find("more than 10004 user database keys under turn/"), std::string::npos)
      << tiny.error();
  std::printf("[ measured ] Redis load of 60 users among 20000 other keys: %.0f ms\n", ms);
}

TEST_F(RedisSourceTest, VersionChangesWithWritesAndRestartsAndReconnects) {
  RedisSource source(info());
  auto v1 = source.version();
  ASSERT_TRUE(v1) << v1.error();
  EXPECT_EQ(*source.version(), *v1) << "a quiet Redis must not cost a reload";
  ASSERT_TRUE(client_->command({"SET", "turn/realm/r/user/u/key", "x"}));
  auto v2 = source.version();
  EXPECT_NE(*v2, *v1);
  ASSERT_TRUE(client_->command({"SAVE"}));
  auto v3 = source.version();
  EXPECT_NE(*v3, *v2);
  redis_->stop();
  EXPECT_FALSE(source.version());
  ASSERT_TRUE(redis_->start());
  auto v4 = source.version();  // reconnected by itself
  ASSERT_TRUE(v4) << v4.error();
  EXPECT_NE(*v4, *v3);
  // The safety net: every kFullReloadPolls-th poll is new whatever the counters say.
  std::string last = *v4;
  int changes = 0;
  for (int i = 0; i < userdb_redis::kFullReloadPolls; ++i) {
    auto v = source.version();
    if (*v != last) ++changes;
    last = *v;
  }
  EXPECT_EQ(changes, 1);
}

TEST_F(RedisSourceTest, ClearPasswordsAreKeyedAndAKeyWinsOverThem) {
  ASSERT_TRUE(client_->command({"SET", "turn/realm/example.org/user/gorst/password", "hero"}));
  ASSERT_TRUE(client_->command({"SET", "turn/realm/example.org/user/both/password", "old"}));
  const std::string both = userdb::md5_key_hex("both", "example.org", "new");
  ASSERT_TRUE(client_->command({"SET", "turn/realm/example.org/user/both/key", both}));
  ASSERT_TRUE(client_->command({"SET", "turn/realm/example.org/user/nokey/key", "not-hex"}));
  RedisSource source(info());
  auto snap = load(source);
  ASSERT_TRUE(snap) << snap.error();
  const auto* realm = (*snap)->realm("example.org");
  ASSERT_NE(realm, nullptr);
  auto gorst = realm->users.find("gorst");
  ASSERT_NE(gorst, realm->users.end());
  EXPECT_EQ(gorst->second.md5, auth::md5_key("gorst", "example.org", "hero"));
  ASSERT_TRUE(gorst->second.sha256);
  EXPECT_EQ(*gorst->second.sha256, auth::sha256_key("gorst", "example.org", "hero"));
  EXPECT_EQ(realm->users.find("both")->second.md5, auth::md5_key("both", "example.org", "new"));
  EXPECT_FALSE(realm->users.find("both")->second.sha256);
  EXPECT_EQ(realm->users.count("nokey"), 0u);
  EXPECT_EQ((*snap)->skipped.bad_key, 1u);
}

class PgSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = postgres_unavailable(); !why.empty()) GTEST_SKIP() << why;
    pg_ = std::make_unique<PostgresServer>();
    ASSERT_TRUE(pg_->running() && pg_->why().empty()) << pg_->why();
  }
  userdb_pg::PgConnInfo info() const { return *userdb_pg::parse_pg_conninfo(pg_->conninfo()); }
  std::unique_ptr<PostgresServer> pg_;
};

TEST_F(PgSourceTest, VersionFollowsEveryChangeAndBoundsApply) {
  userdb_pg::PgSource source(info());
  auto none = source.version();
  ASSERT_FALSE(none);  // no tables yet
  EXPECT_NE(none.error().find("has no table turnusers_lt"), std::string::npos) << none.error();
  auto schema = pg_->psql(
      "CREATE TABLE turnusers_lt (realm varchar(127) default '', name varchar(512), "
      "hmackey char(128), PRIMARY KEY (realm, name)); CREATE TABLE turn_secret (realm "
      "varchar(127) default '', value varchar(256), primary key (realm, value))");
  ASSERT_EQ(schema.exit_code, 0) << schema.output;
  auto v1 = source.version();
  ASSERT_TRUE(v1) << v1.error();
  EXPECT_EQ(*source.version(), *v1) << "a quiet database must not cost a reload";
  const std::string key = userdb::md5_key_hex("u", "example.org", "pw");
  ASSERT_EQ(pg_->psql("INSERT INTO turnusers_lt SELECT 'example.org', 'u' || i, '" + key +
                      "' FROM generate_series(1, 60) i")
                .exit_code,
            0);
  auto v2 = source.version();
  EXPECT_NE(*v2, *v1);
  ASSERT_EQ(pg_->psql("UPDATE turnusers_lt SET hmackey = hmackey WHERE name = 'u7'").exit_code, 0);
  auto v3 = source.version();
  EXPECT_NE(*v3, *v2) << "an UPDATE writes a row with a new xmin";
  ASSERT_EQ(pg_->psql("DELETE FROM turnusers_lt WHERE name = 'u60'").exit_code, 0);
  auto v4 = source.version();
  EXPECT_NE(*v4, *v3);

  auth::SnapshotBuilder small({.max_users = 50});
  auto refused = source.load(small);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("more than 50 users"), std::string::npos) << refused.error();
  auth::SnapshotBuilder all;
  ASSERT_TRUE(source.load(all));
  auto snap = std::move(all).finish();
  EXPECT_EQ(snap->users, 59u);  // char(128) comes back padded: read trimmed
  EXPECT_EQ(snap->skipped.bad_key, 0u);

  pg_->stop();
  EXPECT_FALSE(source.version());
  ASSERT_TRUE(pg_->start()) << pg_->why();
  auto v5 = source.version();  // reconnected by itself
  ASSERT_TRUE(v5) << v5.error();
}

}  // namespace
}  // namespace ferry::testing
