// The SQLite source and turnadmin's operations, on real SQLite files made by the tests (and one
// made by Debian coturn's own turnadmin when it is installed).
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "ferry/auth/long_term_key.h"
#include "ferry/auth/userdb_store.h"
#include "ferry/userdb/admin.h"
#include "ferry/userdb/schema.h"
#include "ferry/userdb/sqlite_source.h"

namespace ferry::userdb {
namespace {

namespace fs = std::filesystem;

class SqliteSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ferry-userdb-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/turndb";
  }
  void TearDown() override { fs::remove_all(dir_); }
  Database admin() {
    auto db = open_for_admin(path_);
    EXPECT_TRUE(db) << db.error();
    return std::move(*db);
  }
  // Raw SQL, for rows turnadmin would never write.
  void sql(const std::string& text) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, text.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
    sqlite3_free(err);
    sqlite3_close(db);
  }
  Expected<std::shared_ptr<const auth::UserDbSnapshot>> load(SqliteSource& source,
                                                             auth::SnapshotLimits limits = {}) {
    if (auto v = source.version(); !v) return std::move(v).failure();
    auth::SnapshotBuilder b(limits);
    if (auto ok = source.load(b); !ok) return std::move(ok).failure();
    return std::move(b).finish();
  }
  static bool has_user(const auth::UserDbSnapshot& s, const std::string& realm,
                       const std::string& name, const std::string& pass) {
    const auto* r = s.realm(realm);
    if (r == nullptr) return false;
    auto it = r->users.find(name);
    return it != r->users.end() && it->second.md5 == auth::md5_key(name, realm, pass);
  }
  std::string dir_;
  std::string path_;
};

TEST_F(SqliteSourceTest, AdminRoundTrip) {
  auto db = admin();
  ASSERT_TRUE(add_user(db, "example.org", "alice", "pass"));
  ASSERT_TRUE(add_user(db, "example.org", "bob", "pw"));
  ASSERT_TRUE(add_user(db, "other.org", "alice", "x"));
  ASSERT_TRUE(add_user(db, "example.org", "bob", "pw2"));  // an update
  auto users = list_users(db, std::string_view("example.org"));
  ASSERT_TRUE(users);
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ((*users)[0].name, "alice");
  EXPECT_EQ((*users)[1].name, "bob");
  EXPECT_EQ(list_users(db, std::nullopt)->size(), 3u);
  ASSERT_TRUE(add_secret(db, "example.org", "s1"));
  ASSERT_TRUE(add_secret(db, "example.org", "s2"));
  EXPECT_EQ(list_secrets(db, std::nullopt)->size(), 2u);
  EXPECT_TRUE(*delete_secret(db, "example.org", "s1"));
  EXPECT_FALSE(*delete_secret(db, "example.org", "s1"));
  ASSERT_TRUE(add_origin(db, "https://example.org", "example.org"));
  ASSERT_TRUE(set_realm_option(db, "example.org", "max-bps", 1000));
  ASSERT_TRUE(set_realm_option(db, "example.org", "user-quota", 5));
  ASSERT_TRUE(set_realm_option(db, "example.org", "user-quota", 0));  // 0 removes it
  EXPECT_EQ(list_realm_options(db, std::nullopt)->size(), 1u);
  EXPECT_EQ((*list_origins(db, std::nullopt))[0].name, "https://example.org:443");

  SqliteSource source(path_);
  auto snap = load(source);
  ASSERT_TRUE(snap) << snap.error();
  EXPECT_TRUE(has_user(**snap, "example.org", "alice", "pass"));
  EXPECT_TRUE(has_user(**snap, "example.org", "bob", "pw2"));
  EXPECT_TRUE(has_user(**snap, "other.org", "alice", "x"));
  EXPECT_EQ((*snap)->realm("example.org")->users.at("bob").sha256,
            auth::sha256_key("bob", "example.org", "pw2"));
  EXPECT_EQ((*snap)->realm("example.org")->secrets, std::vector<std::string>{"s2"});
  EXPECT_EQ((*snap)->origin_to_realm.at("https://example.org:443"), "example.org");
  EXPECT_EQ((*snap)->other_rows, 2u);

  EXPECT_TRUE(*delete_user(db, "example.org", "alice"));
  EXPECT_FALSE(*delete_user(db, "example.org", "alice"));
  snap = load(source);
  EXPECT_FALSE(has_user(**snap, "example.org", "alice", "pass"));
}

// The keys are password-equivalent and turn_secret values mint any credential: a database
// turnadmin creates is its owner's alone (SQLite would make it 0644 under the usual umask, as
// coturn's turnadmin does). Run as root for a server that runs as the directory's owner (the
// usual /var/lib/turn), the new file is handed to that owner so the server can read it.
TEST_F(SqliteSourceTest, ANewDatabaseIsReadableByItsOwnerOnly) {
  const mode_t old_umask = umask(022);
  {
    auto db = admin();
    ASSERT_TRUE(add_user(db, "example.org", "alice", "pass"));
  }
  umask(old_umask);
  struct stat st {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // An existing file keeps the mode its owner gave it.
  ASSERT_EQ(chmod(path_.c_str(), 0640), 0);
  { auto db = admin(); }
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);

  if (geteuid() != 0) GTEST_SKIP() << "the ownership part needs root";
  const std::string owned = dir_ + "/served";
  ASSERT_EQ(mkdir(owned.c_str(), 0755), 0);
  ASSERT_EQ(chown(owned.c_str(), 65534, 65534), 0);
  path_ = owned + "/turndb";
  { auto db = admin(); }
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  EXPECT_EQ(st.st_gid, 65534u);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

// A dangling symlink at the path: SQLite would follow it and create the target 0644.
TEST_F(SqliteSourceTest, ADanglingSymlinkIsNotFollowedToCreateTheDatabase) {
  const std::string target = dir_ + "/elsewhere.db";
  ASSERT_EQ(symlink(target.c_str(), path_.c_str()), 0);
  auto db = open_for_admin(path_);
  ASSERT_FALSE(db);
  EXPECT_NE(db.error().find("symlink"), std::string::npos) << db.error();
  struct stat st {};
  EXPECT_NE(stat(target.c_str(), &st), 0);  // nothing was created
}

TEST(OriginTest, NormalizedWithThePortAsCoturnStoresThem) {
  EXPECT_EQ(normalize_origin("http://ex.org"), "http://ex.org:80");
  EXPECT_EQ(normalize_origin("https://ex.org/"), "https://ex.org:443");
  EXPECT_EQ(normalize_origin("https://ex.org:8443"), "https://ex.org:8443");
  EXPECT_EQ(normalize_origin("https://[::1]"), "https://[::1]:443");
  EXPECT_EQ(normalize_origin("https://[::1]:9"), "https://[::1]:9");
  EXPECT_EQ(normalize_origin("not a url"), "not a url");
}

// Names are bound parameters: quotes, SQL, NUL and non-UTF-8 bytes are stored and found as
// they are, and the table survives.
TEST_F(SqliteSourceTest, OddUserNamesAreDataNotSql) {
  auto db = admin();
  const std::string odd[] = {"x'; DROP TABLE turnusers_lt; --",
                             "\"quoted\"",
                             "a%_*?\\",
                             std::string("nul\0inside", 10),
                             "\xff\xfe\x80",
                             "caf\xc3\xa9",
                             std::string(508, 'L')};
  for (const auto& n : odd) ASSERT_TRUE(add_user(db, "example.org", n, "pw")) << n;
  SqliteSource source(path_);
  auto snap = load(source);
  ASSERT_TRUE(snap) << snap.error();
  EXPECT_EQ((*snap)->users, std::size(odd));
  for (const auto& n : odd) EXPECT_TRUE(has_user(**snap, "example.org", n, "pw")) << n;
  EXPECT_FALSE(has_user(**snap, "example.org", "nul", "pw"));
  for (const auto& n : odd) EXPECT_TRUE(*delete_user(db, "example.org", n)) << n;
  EXPECT_EQ(list_users(db, std::nullopt)->size(), 0u);
}

TEST_F(SqliteSourceTest, VersionChangesWithEveryCommitAndOnlyThen) {
  auto db = admin();
  ASSERT_TRUE(add_user(db, "r", "alice", "p"));
  SqliteSource source(path_);
  auto v1 = source.version();
  ASSERT_TRUE(v1) << v1.error();
  EXPECT_EQ(*source.version(), *v1);
  ASSERT_TRUE(add_secret(db, "r", "s"));
  auto v2 = source.version();
  ASSERT_TRUE(v2);
  EXPECT_NE(*v2, *v1);
  EXPECT_EQ(*source.version(), *v2);
}

// A restore by rename is a new file: the source reopens it and reads the new contents.
TEST_F(SqliteSourceTest, AFileReplacedByRenameIsReopened) {
  {
    auto db = admin();
    ASSERT_TRUE(add_user(db, "r", "alice", "p"));
  }
  SqliteSource source(path_);
  ASSERT_TRUE(has_user(**load(source), "r", "alice", "p"));
  const std::string other = dir_ + "/new.db";
  {
    auto db = open_for_admin(other);
    ASSERT_TRUE(db);
    ASSERT_TRUE(add_user(*db, "r", "bob", "q"));
  }
  fs::rename(other, path_);
  auto snap = load(source);
  ASSERT_TRUE(snap) << snap.error();
  EXPECT_TRUE(has_user(**snap, "r", "bob", "q"));
  EXPECT_FALSE(has_user(**snap, "r", "alice", "p"));
}

TEST_F(SqliteSourceTest, RemovedOrCorruptDatabaseFailsWithTheReason) {
  {
    auto db = admin();
    ASSERT_TRUE(add_user(db, "r", "alice", "p"));
  }
  SqliteSource source(path_);
  ASSERT_TRUE(load(source));
  fs::remove(path_);
  auto gone = source.version();
  ASSERT_FALSE(gone);
  EXPECT_NE(gone.error().find("cannot stat " + path_), std::string::npos) << gone.error();
  {
    std::ofstream out(path_, std::ios::binary);
    out << std::string(8192, 'x');
  }
  auto corrupt = load(source);
  ASSERT_FALSE(corrupt);
  EXPECT_NE(corrupt.error().find(path_), std::string::npos) << corrupt.error();
  EXPECT_NE(corrupt.error().find("not a database"), std::string::npos) << corrupt.error();
  // And the start-up check says the same before any thread runs.
  auto checked = check_database(path_);
  ASSERT_FALSE(checked);
  EXPECT_NE(checked.error().find("not a database"), std::string::npos) << checked.error();
}

TEST_F(SqliteSourceTest, AnSqliteFileWithoutTheTablesIsNotAUserDatabase) {
  sql("CREATE TABLE something (x)");
  auto checked = check_database(path_);
  ASSERT_FALSE(checked);
  EXPECT_NE(checked.error().find("has no table turnusers_lt"), std::string::npos)
      << checked.error();
  EXPECT_TRUE(check_database(dir_ + "/missing.db"));  // not made yet: not an error
}

TEST_F(SqliteSourceTest, BadRowsAreSkippedAndCounted) {
  {
    auto db = admin();
    ASSERT_TRUE(add_user(db, "r", "alice", "p"));
  }
  sql("INSERT INTO turnusers_lt VALUES ('r', 'nokey', NULL);"
      "INSERT INTO turnusers_lt VALUES ('r', 'shortkey', 'abcd');"
      "INSERT INTO turn_secret VALUES ('r', '');"
      "INSERT INTO turn_secret VALUES ('r', NULL);"
      "INSERT INTO turn_secret VALUES ('r', 'good');"
      "INSERT INTO turnusers_lt VALUES ('r', '" +
      std::string(2000, 'n') + "', '00000000000000000000000000000000');");
  SqliteSource source(path_);
  auto snap = load(source);
  ASSERT_TRUE(snap) << snap.error();
  EXPECT_EQ((*snap)->users, 1u);
  EXPECT_EQ((*snap)->skipped.bad_key, 2u);
  EXPECT_EQ((*snap)->skipped.empty_secret, 2u);
  EXPECT_EQ((*snap)->skipped.too_long, 1u);
  EXPECT_EQ((*snap)->realm("r")->secrets, std::vector<std::string>{"good"});
}

// A huge table: loaded within the bound (and timed in the log), refused whole above it.
TEST_F(SqliteSourceTest, HugeTableIsBoundedAndItsLoadTimed) {
  { auto db = admin(); }
  sql("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000) "
      "INSERT INTO turnusers_lt SELECT 'r', 'user' || i, '0123456789abcdef0123456789abcdef' "
      "FROM n");
  SqliteSource source(path_);
  auto refused = load(source, {.max_users = 100000});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("more than 100000 users"), std::string::npos) << refused.error();
  const auto started = std::chrono::steady_clock::now();
  auto snap = load(source);
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(snap) << snap.error();
  EXPECT_EQ((*snap)->users, 200000u);
  // Generous: about 0.2 s on the development machine (1 M rows: about 1 s).
  EXPECT_LT(took, std::chrono::seconds(10));
}

// Debian coturn's turnadmin makes the database; Ferry's source reads it unchanged, and
// Ferry's turnadmin adds to it without breaking coturn's view of it.
TEST_F(SqliteSourceTest, DatabaseMadeByCoturnsTurnadmin) {
  const char* coturn = "/usr/bin/turnadmin";
  if (access(coturn, X_OK) != 0) GTEST_SKIP() << "coturn's turnadmin is not installed";
  auto run = [&](const std::string& args) {
    const std::string cmd = std::string(coturn) + " " + args + " -b " + path_ + " >/dev/null 2>&1";
    return std::system(cmd.c_str());
  };
  ASSERT_EQ(run("-a -u alice -r example.org -p pass"), 0);
  ASSERT_EQ(run("-s coturnsecret -r example.org"), 0);
  SqliteSource source(path_);
  auto snap = load(source);
  ASSERT_TRUE(snap) << snap.error();
  EXPECT_TRUE(has_user(**snap, "example.org", "alice", "pass"));
  EXPECT_FALSE((*snap)->realm("example.org")->users.at("alice").sha256.has_value());
  EXPECT_EQ((*snap)->realm("example.org")->secrets, std::vector<std::string>{"coturnsecret"});
  // Ours adds the SHA-256 table to coturn's file; coturn then changes alice's password:
  // the SHA-256 key of the old one must not survive.
  {
    auto db = admin();
    ASSERT_TRUE(add_user(db, "example.org", "alice", "pass"));
  }
  EXPECT_TRUE(load(source).value()->realm("example.org")->users.at("alice").sha256.has_value());
  ASSERT_EQ(run("-a -u alice -r example.org -p changed"), 0);
  snap = load(source);
  EXPECT_TRUE(has_user(**snap, "example.org", "alice", "changed"));
  EXPECT_FALSE((*snap)->realm("example.org")->users.at("alice").sha256.has_value());
  EXPECT_EQ((*snap)->skipped.stale_sha256, 1u);
}

}  // namespace
}  // namespace ferry::userdb
