// userdb (-b): the store it builds (no thread, no load: --check-config starts nothing), and
// what the configuration is told about the file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "build_lines.h"
#include "ferry/auth/userdb_store.h"
#include "ferry/config/config.h"
#include "ferry/config/settings.h"
#include "ferry/userdb/admin.h"

namespace ferry::config {
namespace {

using testing::Built;

Built build(const std::vector<std::pair<std::string, std::string>>& lines) {
  return testing::build_lines(lines);
}

class UserdbSettings : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ferry-userdb-cfg-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  std::string dir_;
};

TEST_F(UserdbSettings, BuildsTheDatabaseStoreBesideTheConfiguredUsers) {
  const std::string path = dir_ + "/turndb";
  {
    auto db = userdb::open_for_admin(path);
    ASSERT_TRUE(db);
    ASSERT_TRUE(userdb::add_user(*db, "example.org", "alice", "pass"));
  }
  Built b = build({{"realm", "example.org"}, {"db", path}, {"user", "carol:x"}});
  EXPECT_FALSE(b.error) << b.text;
  const auto& s = b.settings.server;
  ASSERT_NE(s.credential_refresh, nullptr);
  auto store = std::dynamic_pointer_cast<const auth::UserDbStore>(s.credentials);
  ASSERT_NE(store, nullptr);
  // Nothing read yet: the Runtime's first refresh loads it.
  EXPECT_EQ(store->snapshot(), nullptr);
  EXPECT_EQ(store->find("carol", "example.org", 0).status, auth::Lookup::Status::kFound);
  EXPECT_TRUE(s.turn.turn_enabled);
  EXPECT_EQ(b.settings.auth.userdb, path);
}

TEST_F(UserdbSettings, AMissingFileIsAWarningAndTurnStaysOn) {
  Built b = build({{"realm", "example.org"}, {"userdb", dir_ + "/none"}});
  EXPECT_FALSE(b.error) << b.text;
  EXPECT_NE(b.text.find("r:2: warning: 'userdb' " + dir_ + "/none does not exist (yet)"),
            std::string::npos)
      << b.text;
  EXPECT_TRUE(b.settings.server.turn.turn_enabled);
  EXPECT_EQ(b.text.find("TURN requests will be refused"), std::string::npos) << b.text;
}

TEST_F(UserdbSettings, AFileThatIsNotAUserDatabaseIsAnError) {
  const std::string path = dir_ + "/garbage";
  std::ofstream(path) << std::string(4096, 'x');
  Built b = build({{"realm", "example.org"}, {"userdb", path}});
  EXPECT_TRUE(b.error);
  EXPECT_NE(b.text.find("r:2: error: " + path), std::string::npos) << b.text;
  EXPECT_NE(b.text.find("not a database"), std::string::npos) << b.text;
}

TEST_F(UserdbSettings, RestModeWithADatabaseNeedsNoStaticSecret) {
  const std::string path = dir_ + "/turndb";
  ASSERT_TRUE(userdb::open_for_admin(path));
  Built b = build({{"realm", "example.org"}, {"use-auth-secret", ""}, {"userdb", path}});
  EXPECT_FALSE(b.error) << b.text;
  EXPECT_EQ(b.text.find("TURN requests will be refused"), std::string::npos) << b.text;
  EXPECT_TRUE(b.settings.server.turn.turn_enabled);
}

// redis-userdb and psql-userdb: parsed (never connected) at build time; the store names the
// database without its password; two user databases are an error naming both.
TEST(SharedUserdbSettings, RedisAndPostgresBuildAStoreWithoutConnecting) {
  auto r = build({{"realm", "example.org"},
                  {"redis-userdb", "ip=127.0.0.1 dbname=2 password=hunter2 port=1"},
                  {"userdb-max-stale", "5"}});
  ASSERT_FALSE(r.error) << r.text;
  auto store = std::dynamic_pointer_cast<const auth::UserDbStore>(r.settings.server.credentials);
  ASSERT_TRUE(store) << r.text;
  EXPECT_EQ(store->source_name(), "Redis database 127.0.0.1:1/2 (password set)");
  EXPECT_TRUE(r.settings.server.turn.turn_enabled);
  EXPECT_EQ(r.settings.auth.userdb_max_stale, 5);
  EXPECT_EQ(r.text.find("hunter2"), std::string::npos) << r.text;

  auto p = build(
      {{"realm", "example.org"}, {"sql-userdb", "postgresql://turn:hunter2@127.0.0.1:1/turn"}});
  ASSERT_FALSE(p.error) << p.text;
  auto pstore = std::dynamic_pointer_cast<const auth::UserDbStore>(p.settings.server.credentials);
  ASSERT_TRUE(pstore);
  EXPECT_EQ(pstore->source_name(), "PostgreSQL database turn on 127.0.0.1:1 as user turn");
}

TEST(SharedUserdbSettings, MistakesAreConfigurationErrors) {
  auto two = build({{"userdb", "/tmp/x"}, {"redis-userdb", "ip=127.0.0.1"}});
  EXPECT_TRUE(two.error);
  EXPECT_NE(two.text.find("'userdb' and 'redis-userdb' are both set: one user database at a time"),
            std::string::npos)
      << two.text;
  auto bad = build({{"redis-userdb", "ip=127.0.0.1 hunter2"}});
  EXPECT_TRUE(bad.error);
  EXPECT_EQ(bad.text.find("hunter2"), std::string::npos) << bad.text;
  auto badpg = build({{"psql-userdb", "host=h hunter2"}});
  EXPECT_TRUE(badpg.error);
  EXPECT_EQ(badpg.text.find("hunter2"), std::string::npos) << badpg.text;
}

}  // namespace
}  // namespace ferry::config
