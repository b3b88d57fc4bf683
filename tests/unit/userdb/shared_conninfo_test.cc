// Redis and PostgreSQL connection strings and coturn's Redis key layout: pure functions, no
// server (tests/integration/shareddb_*_test.cc run real ones).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ferry/userdb_pg/conninfo.h"
#include "ferry/userdb_redis/conninfo.h"
#include "ferry/userdb_redis/layout.h"

namespace ferry {
namespace {

using userdb_redis::KeyKind;
using userdb_redis::parse_key;
using userdb_redis::parse_redis_conninfo;

TEST(RedisConnInfo, CoturnsFormatAndSpellings) {
  auto c = parse_redis_conninfo("ip=10.0.0.5 dbname=2 password=turn port=6380 connect_timeout=30");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->host, "10.0.0.5");
  EXPECT_EQ(c->db, 2);
  EXPECT_EQ(c->password, "turn");
  EXPECT_EQ(c->port, 6380);
  EXPECT_EQ(c->timeout_s, userdb_redis::RedisConnInfo::kMaxTimeout);  // 30 is capped
  auto d = parse_redis_conninfo("  host=h   db=1 pwd=x p=7000 timeout=0 user=ignored  ");
  ASSERT_TRUE(d) << d.error();
  EXPECT_EQ(d->host, "h");
  EXPECT_EQ(d->db, 1);
  EXPECT_EQ(d->password, "x");
  EXPECT_EQ(d->port, 7000);
  EXPECT_EQ(d->timeout_s, userdb_redis::RedisConnInfo::kDefaultTimeout);  // 0: not forever
  auto defaults = parse_redis_conninfo("");
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->host, "127.0.0.1");
  EXPECT_EQ(defaults->port, 6379);
  EXPECT_EQ(defaults->db, 0);
  for (const char* k : {"addr", "ipaddr", "hostaddr"}) {
    EXPECT_EQ(parse_redis_conninfo(std::string(k) + "=a")->host, "a") << k;
  }
  for (const char* k : {"passwd", "secret"}) {
    EXPECT_EQ(parse_redis_conninfo(std::string(k) + "=s")->password, "s") << k;
  }
  EXPECT_EQ(parse_redis_conninfo("database=9")->db, 9);
}

TEST(RedisConnInfo, MistakesNameTheKeyNeverTheValue) {
  auto stray = parse_redis_conninfo("ip=h hunter2");
  ASSERT_FALSE(stray);
  EXPECT_EQ(stray.error().find("hunter2"), std::string::npos) << stray.error();
  EXPECT_NE(stray.error().find("word 2 has no '='"), std::string::npos) << stray.error();
  auto unknown = parse_redis_conninfo("bogus=hunter2");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().find("unknown key 'bogus'"), std::string::npos);
  EXPECT_EQ(unknown.error().find("hunter2"), std::string::npos);
  EXPECT_FALSE(parse_redis_conninfo("port=0"));
  EXPECT_FALSE(parse_redis_conninfo("port=65536"));
  EXPECT_FALSE(parse_redis_conninfo("dbname=x"));
  EXPECT_FALSE(parse_redis_conninfo("connect_timeout=-1"));
}

TEST(RedisConnInfo, DescribeNeverShowsThePassword) {
  auto c = parse_redis_conninfo("ip=127.0.0.1 dbname=3 password=hunter2 port=6379");
  ASSERT_TRUE(c);
  EXPECT_EQ(userdb_redis::describe(*c), "Redis database 127.0.0.1:6379/3 (password set)");
  auto v6 = parse_redis_conninfo("ip=::1");
  EXPECT_EQ(userdb_redis::describe(*v6), "Redis database [::1]:6379/0");
}

TEST(RedisLayout, KeysAreCoturns) {
  EXPECT_EQ(userdb_redis::user_key("north.gov", "gorst"), "turn/realm/north.gov/user/gorst/key");
  EXPECT_EQ(userdb_redis::user_password_key("r", "u"), "turn/realm/r/user/u/password");
  EXPECT_EQ(userdb_redis::user_sha256_key("r", "u"), "turn/realm/r/user/u/ferry-sha256");
  EXPECT_EQ(userdb_redis::secret_set("r"), "turn/realm/r/secret");
  EXPECT_EQ(userdb_redis::allowed_peer_set("r"), "turn/realm/r/allowed-peer-ip");
  EXPECT_EQ(userdb_redis::denied_peer_set("r"), "turn/realm/r/denied-peer-ip");
  EXPECT_EQ(userdb_redis::realm_option_key("r", "max-bps"), "turn/realm/r/max-bps");
  EXPECT_EQ(userdb_redis::origin_key("https://a.org:443"), "turn/origin/https://a.org:443");
}

TEST(RedisLayout, ParsingRoundTripsEveryKind) {
  auto u = parse_key("turn/realm/north.gov/user/gorst/key");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->kind, KeyKind::kUserKey);
  EXPECT_EQ(u->realm, "north.gov");
  EXPECT_EQ(u->name, "gorst");
  EXPECT_EQ(parse_key("turn/realm/r/user/u/password")->kind, KeyKind::kUserPassword);
  EXPECT_EQ(parse_key("turn/realm/r/user/u/ferry-sha256")->kind, KeyKind::kUserSha256);
  EXPECT_EQ(parse_key("turn/realm/r/secret")->kind, KeyKind::kSecrets);
  EXPECT_EQ(parse_key("turn/realm/r/allowed-peer-ip")->kind, KeyKind::kAllowedPeers);
  EXPECT_EQ(parse_key("turn/realm/r/denied-peer-ip")->kind, KeyKind::kDeniedPeers);
  auto opt = parse_key("turn/realm/r/user-quota");
  ASSERT_TRUE(opt);
  EXPECT_EQ(opt->kind, KeyKind::kRealmOption);
  EXPECT_EQ(opt->name, "user-quota");
  auto origin = parse_key("turn/origin/http://crinna.org:80");
  ASSERT_TRUE(origin);
  EXPECT_EQ(origin->kind, KeyKind::kOrigin);
  EXPECT_EQ(origin->name, "http://crinna.org:80");
  // Not a user database's: coturn's statistics, admin users, oAuth keys, unknown options.
  for (const char* k :
       {"turn/user/u/allocation/1/status", "turn/admin_user/bayaz", "turn/oauth/kid/x",
        "turn/realm/r/db", "turn/realm//user/u/key", "turn/realm/r/user//key",
        "turn/realm/r/user/u/other", "turn/realm/r", "other/realm/r/secret", "turn/origin/"}) {
    EXPECT_FALSE(parse_key(k)) << k;
  }
}

// A name is data: whatever its bytes, it reads back as itself and never as another user, realm
// or kind of key.
TEST(RedisLayout, OddNamesStayTheirOwn) {
  for (const std::string& name : std::vector<std::string>{
           "we/ird", "x/key", "a/user/b/key", "sp ace", "quote'\"", "new\r\nline",
           std::string("nul\0byte", 8), "j\xC3\xBCrgen", "*?[glob]\\"}) {
    const std::string key = userdb_redis::user_key("example.org", name);
    auto p = parse_key(key);
    ASSERT_TRUE(p) << key;
    EXPECT_EQ(p->kind, KeyKind::kUserKey) << key;
    EXPECT_EQ(p->realm, "example.org") << key;
    EXPECT_EQ(p->name, name) << key;
    auto pw = parse_key(userdb_redis::user_password_key("example.org", name));
    EXPECT_EQ(pw->kind, KeyKind::kUserPassword);
    EXPECT_EQ(pw->name, name);
  }
  // A realm cannot hold '/': it would reach into another realm's keys.
  EXPECT_FALSE(userdb_redis::valid_realm("a/b"));
  EXPECT_FALSE(userdb_redis::valid_realm(""));
  EXPECT_TRUE(userdb_redis::valid_realm("example.org"));
  auto tricky = parse_key("turn/realm/a/b/user/x/key");  // realm "a", then not a user key
  EXPECT_FALSE(tricky);
}

TEST(PgConnInfo, KeywordsAndUrisParseAndDescribeWithoutThePassword) {
  auto k = userdb_pg::parse_pg_conninfo(
      "host=db.example.org port=5433 dbname=turn user=turn password=hunter2 connect_timeout=30");
  ASSERT_TRUE(k) << k.error();
  EXPECT_EQ(k->described, "PostgreSQL database turn on db.example.org:5433 as user turn");
  EXPECT_EQ(k->password, "hunter2");
  EXPECT_EQ(k->timeout_s, userdb_pg::PgConnInfo::kMaxTimeout);
  auto u = userdb_pg::parse_pg_conninfo("postgresql://turn:hunter2@127.0.0.1:5432/turndb");
  ASSERT_TRUE(u) << u.error();
  EXPECT_EQ(u->described, "PostgreSQL database turndb on 127.0.0.1:5432 as user turn");
  EXPECT_EQ(u->described.find("hunter2"), std::string::npos);
  EXPECT_EQ(u->timeout_s, userdb_pg::PgConnInfo::kDefaultTimeout);
  EXPECT_EQ(userdb_pg::parse_pg_conninfo("dbname=x connect_timeout=1")->timeout_s, 2);
  EXPECT_FALSE(userdb_pg::parse_pg_conninfo("dbname=x connect_timeout=soon"));
}

TEST(PgConnInfo, ParseErrorsNeverQuoteAPassword) {
  for (const char* bad : {"postgresql://turn:hun%zzter2@h/db", "host=h hunter2", "hunter2=x",
                          "host=h password='hunter2"}) {
    auto r = userdb_pg::parse_pg_conninfo(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().find("hunter2"), std::string::npos) << r.error();
    EXPECT_EQ(r.error().find("hun%zz"), std::string::npos) << r.error();
    EXPECT_NE(r.error().find("psql-userdb"), std::string::npos) << r.error();
  }
  EXPECT_EQ(userdb_pg::scrub("failed for \"hunter2\"\n\tHint\n", "hunter2"),
            "failed for \"***\" Hint");
  EXPECT_EQ(userdb_pg::scrub("option \"dbname\" and \"hunter2\"", "", true),
            "option \"dbname\" and \"...\"");
}

}  // namespace
}  // namespace ferry
