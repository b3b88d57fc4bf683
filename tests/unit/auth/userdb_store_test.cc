// The user database's snapshot and store, with a fake source (no SQLite here: the SQLite source
// has its own tests in tests/unit/userdb). Time is an argument: the outage bound is crossed by
// passing a later `now`, never by sleeping.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "ferry/auth/long_term_key.h"
#include "ferry/auth/rest_secrets.h"
#include "ferry/auth/userdb_store.h"

namespace ferry::auth {
namespace {

std::string hex(const auto& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (auto b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

// Rows as a database would hold them; `down` makes every call fail as an unreadable file does.
struct FakeDb {
  struct User {
    std::string realm, name, hmackey;
  };
  std::vector<User> users;
  std::vector<std::pair<std::string, std::string>> secrets;
  std::vector<std::pair<std::string, std::string>> origins;  // origin, realm
  struct Option {
    std::string realm, opt, value;
  };
  std::vector<Option> realm_options;
  int version = 1;
  bool down = false;
  int loads = 0;
  void add_user(const std::string& realm, const std::string& name, const std::string& pass) {
    users.push_back({realm, name, hex(md5_key(name, realm, pass))});
    ++version;
  }
};

class FakeSource final : public UserDbSource {
 public:
  explicit FakeSource(FakeDb& db) : db_(db) {}
  std::string describe() const override { return "fake database"; }
  Expected<std::string> version() override {
    if (db_.down) return fail("cannot stat fake: No such file or directory");
    return std::to_string(db_.version);
  }
  Expected<void> load(SnapshotBuilder& into) override {
    if (db_.down) return fail("disk I/O error");
    ++db_.loads;
    for (const auto& u : db_.users) {
      if (auto ok = into.add_user(u.realm, u.name, u.hmackey); !ok) return ok;
    }
    for (const auto& [realm, value] : db_.secrets) {
      if (auto ok = into.add_secret(realm, value); !ok) return ok;
    }
    for (const auto& [origin, realm] : db_.origins) {
      if (auto ok = into.add_origin(origin, realm); !ok) return ok;
    }
    for (const auto& o : db_.realm_options) {
      if (auto ok = into.add_realm_option(o.realm, o.opt, o.value); !ok) return ok;
    }
    return {};
  }

 private:
  FakeDb& db_;
};

class CapturingLogger final : public Logger {
 public:
  void write(LogLevel level, std::string_view m) override {
    lines.push_back(std::string(log_level_name(level)) + ": " + std::string(m));
  }
  std::vector<std::string> lines;
};

constexpr std::int64_t kT0 = 1'700'000'000;

class UserDbStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<UserDbStore> make(UserDbStoreSettings s = {}) {
    s.realm = "example.org";
    return std::make_unique<UserDbStore>(std::make_unique<FakeSource>(db), std::move(s));
  }
  static bool valid(const Lookup& l, const std::string& user, const std::string& pass) {
    if (l.status != Lookup::Status::kFound) return false;
    for (const auto& k : l.keys) {
      if (k.md5 == md5_key(user, "example.org", pass)) return true;
    }
    return false;
  }
  FakeDb db;
  CapturingLogger log;
};

TEST_F(UserDbStoreTest, NothingIsValidBeforeTheFirstLoad) {
  db.add_user("example.org", "alice", "pass");
  auto store = make();
  EXPECT_EQ(store->find("alice", "example.org", kT0).status, Lookup::Status::kUnknown);
  store->refresh(kT0, log);
  EXPECT_TRUE(valid(store->find("alice", "example.org", kT0), "alice", "pass"));
  EXPECT_EQ(store->find("alice", "other.org", kT0).status, Lookup::Status::kUnknown);
  EXPECT_EQ(store->find("bob", "example.org", kT0).status, Lookup::Status::kUnknown);
  ASSERT_EQ(log.lines.size(), 1u);
  EXPECT_NE(log.lines[0].find("loaded fake database"), std::string::npos) << log.lines[0];
  EXPECT_NE(log.lines[0].find("users: 1,"), std::string::npos) << log.lines[0];
}

TEST_F(UserDbStoreTest, ReloadsOnlyWhenTheVersionChanges) {
  db.add_user("example.org", "alice", "pass");
  auto store = make();
  store->refresh(kT0, log);
  store->refresh(kT0 + 1, log);
  store->refresh(kT0 + 2, log);
  EXPECT_EQ(db.loads, 1);
  db.add_user("example.org", "bob", "pw");  // a new version
  store->refresh(kT0 + 3, log);
  EXPECT_EQ(db.loads, 2);
  EXPECT_TRUE(valid(store->find("bob", "example.org", kT0 + 3), "bob", "pw"));
  db.users.erase(db.users.begin());  // alice deleted
  ++db.version;
  store->refresh(kT0 + 4, log);
  EXPECT_EQ(store->find("alice", "example.org", kT0 + 4).status, Lookup::Status::kUnknown);
}

// The outage bound: the last snapshot serves for serve_stale_for seconds after the last good
// poll, then the database's users are refused; the configuration's are not. Recovery needs no
// restart.
TEST_F(UserDbStoreTest, OutageServesTheLastSnapshotForTheBoundThenFailsClosed) {
  db.add_user("example.org", "alice", "pass");
  auto statics = std::make_shared<StaticUsers>("example.org");
  ASSERT_TRUE(statics->add("carol:fromconfig"));
  auto store = make({.static_users = statics, .serve_stale_for = 30, .log_every = 60});
  store->refresh(kT0, log);
  db.down = true;
  log.lines.clear();
  for (std::int64_t t = kT0 + 1; t <= kT0 + 30; ++t) store->refresh(t, log);
  EXPECT_TRUE(valid(store->find("alice", "example.org", kT0 + 30), "alice", "pass"));
  ASSERT_EQ(log.lines.size(), 1u);  // one line, not one per poll
  EXPECT_NE(log.lines[0].find("serving the last snapshot for up to 30 s"), std::string::npos);
  EXPECT_NE(log.lines[0].find("No such file"), std::string::npos);

  store->refresh(kT0 + 31, log);
  EXPECT_EQ(store->find("alice", "example.org", kT0 + 31).status, Lookup::Status::kUnknown);
  EXPECT_TRUE(valid(store->find("carol", "example.org", kT0 + 31), "carol", "fromconfig"));
  ASSERT_EQ(log.lines.size(), 2u);
  EXPECT_NE(log.lines[1].find("refused (401)"), std::string::npos) << log.lines[1];
  // Rate-limited while it lasts: one more line a minute.
  for (std::int64_t t = kT0 + 32; t < kT0 + 91; ++t) store->refresh(t, log);
  EXPECT_EQ(log.lines.size(), 2u);
  store->refresh(kT0 + 91, log);
  EXPECT_EQ(log.lines.size(), 3u);

  db.down = false;
  store->refresh(kT0 + 92, log);
  EXPECT_TRUE(valid(store->find("alice", "example.org", kT0 + 92), "alice", "pass"));
  EXPECT_NE(log.lines.back().find("readable again after 91 s"), std::string::npos)
      << log.lines.back();
}

// The workers' clock decides: a refresher that stopped (hung on I/O) fails closed as well.
TEST_F(UserDbStoreTest, ARefresherThatStopsPollingFailsClosedToo) {
  db.add_user("example.org", "alice", "pass");
  auto store = make();
  store->refresh(kT0, log);
  EXPECT_TRUE(store->database_usable(kT0 + 30));
  EXPECT_FALSE(store->database_usable(kT0 + 31));
  EXPECT_EQ(store->find("alice", "example.org", kT0 + 31).status, Lookup::Status::kUnknown);
}

// The bound is measured on the wall clock (the one the workers pass), which can be stepped. A
// clock set back a day while the database is unreadable must not serve the last snapshot for
// that day: the database's users stay valid for at most the bound on either side of the last
// good poll, and the next good poll (at the new time) makes them valid again.
TEST_F(UserDbStoreTest, AClockSteppedBackDoesNotStretchTheOutageBound) {
  db.add_user("example.org", "alice", "pass");
  auto store = make({.serve_stale_for = 30});
  store->refresh(kT0, log);
  db.down = true;
  const std::int64_t back = kT0 - 86400;  // the clock set back a day, then the file removed
  store->refresh(back, log);
  EXPECT_FALSE(store->database_usable(back));
  EXPECT_FALSE(store->database_usable(back + 3600));
  EXPECT_EQ(store->find("alice", "example.org", back + 3600).status, Lookup::Status::kUnknown);
  // A small step back (a second, an NTP correction) changes nothing.
  EXPECT_TRUE(store->database_usable(kT0 - 1));
  // Readable again: valid at once, on the new clock.
  db.down = false;
  store->refresh(back + 3601, log);
  EXPECT_TRUE(valid(store->find("alice", "example.org", back + 3601), "alice", "pass"));
}

TEST_F(UserDbStoreTest, StartingWithTheDatabaseDownSaysSoAndRecovers) {
  db.down = true;
  auto store = make();
  store->refresh(kT0, log);
  ASSERT_EQ(log.lines.size(), 1u);
  EXPECT_NE(log.lines[0].find("nothing loaded yet"), std::string::npos) << log.lines[0];
  db.down = false;
  db.add_user("example.org", "alice", "pass");
  store->refresh(kT0 + 1, log);
  EXPECT_TRUE(valid(store->find("alice", "example.org", kT0 + 1), "alice", "pass"));
}

// coturn checks its static accounts first: the configuration's password wins a clash.
TEST_F(UserDbStoreTest, ConfiguredUserWinsAClashWithTheDatabase) {
  db.add_user("example.org", "alice", "db-pass");
  auto statics = std::make_shared<StaticUsers>("example.org");
  ASSERT_TRUE(statics->add("alice:config-pass"));
  auto store = make({.static_users = statics});
  store->refresh(kT0, log);
  const Lookup l = store->find("alice", "example.org", kT0);
  EXPECT_TRUE(valid(l, "alice", "config-pass"));
  EXPECT_FALSE(valid(l, "alice", "db-pass"));
}

// RFC 8489 USERHASH: a database user is found from SHA-256(name ":" realm), in the configured
// realm only, gone with its row and with the outage bound; a configured account first; never
// in REST mode (a REST name cannot be found from its hash).
TEST_F(UserDbStoreTest, UserhashFindsDatabaseUsers) {
  db.add_user("example.org", "alice", "pass");
  auto statics = std::make_shared<StaticUsers>("example.org");
  ASSERT_TRUE(statics->add("carol:config-pass"));
  auto store = make({.static_users = statics});
  EXPECT_TRUE(store->supports_userhash());
  store->refresh(kT0, log);
  NamedLookup alice = store->find_by_userhash(userhash("alice", "example.org"), "example.org", kT0);
  EXPECT_EQ(alice.user, "alice");
  EXPECT_TRUE(valid(alice.lookup, "alice", "pass"));
  NamedLookup carol = store->find_by_userhash(userhash("carol", "example.org"), "example.org", kT0);
  EXPECT_EQ(carol.user, "carol");
  EXPECT_TRUE(valid(carol.lookup, "carol", "config-pass"));
  EXPECT_EQ(
      store->find_by_userhash(userhash("alice", "other.org"), "example.org", kT0).lookup.status,
      Lookup::Status::kUnknown);
  EXPECT_EQ(
      store->find_by_userhash(userhash("alice", "example.org"), "other.org", kT0).lookup.status,
      Lookup::Status::kUnknown);
  // Past the outage bound the hash still names alice, but her keys are no longer served.
  db.down = true;
  store->refresh(kT0 + 31, log);
  EXPECT_EQ(store->find_by_userhash(userhash("alice", "example.org"), "example.org", kT0 + 31)
                .lookup.status,
            Lookup::Status::kUnknown);
  db.down = false;
  db.users.clear();
  ++db.version;
  store->refresh(kT0 + 32, log);
  EXPECT_EQ(store->find_by_userhash(userhash("alice", "example.org"), "example.org", kT0 + 32).user,
            "");

  auto rest = make({.rest_mode = true, .static_secrets = {"s"}});
  EXPECT_FALSE(rest->supports_userhash());
}

// REST mode: static-auth-secret and the realm's turn_secret rows are all valid; a row removed
// is refused at the next load; an empty row is skipped (it would make anyone's password valid).
TEST_F(UserDbStoreTest, RestSecretsAreTheConfiguredOnesPlusTheDatabaseRows) {
  db.secrets = {{"example.org", "db-secret"}, {"example.org", ""}, {"other.org", "elsewhere"}};
  auto store = make({.rest_mode = true, .static_secrets = {"config-secret"}});
  store->refresh(kT0, log);
  const std::string user = std::to_string(kT0 + 600) + ":alice";
  auto keys_for = [&](const std::string& secret) {
    return md5_key(user, "example.org", rest_password(secret, user));
  };
  auto has = [&](const Lookup& l, const std::string& secret) {
    for (const auto& k : l.keys) {
      if (k.md5 == keys_for(secret)) return true;
    }
    return false;
  };
  Lookup l = store->find(user, "example.org", kT0);
  ASSERT_EQ(l.status, Lookup::Status::kFound);
  EXPECT_EQ(l.keys.size(), 2u);  // the empty row is not a secret
  EXPECT_TRUE(has(l, "config-secret"));
  EXPECT_TRUE(has(l, "db-secret"));
  EXPECT_FALSE(has(l, "elsewhere"));
  EXPECT_FALSE(has(l, ""));
  EXPECT_NE(log.lines.back().find("1 empty secrets"), std::string::npos) << log.lines.back();

  db.secrets.erase(db.secrets.begin());  // rotated out
  ++db.version;
  store->refresh(kT0 + 1, log);
  l = store->find(user, "example.org", kT0 + 1);
  EXPECT_FALSE(has(l, "db-secret"));
  EXPECT_TRUE(has(l, "config-secret"));
  // An expired name stays expired, whatever the database holds.
  EXPECT_EQ(store->find(std::to_string(kT0) + ":alice", "example.org", kT0 + 1).status,
            Lookup::Status::kExpired);
}

TEST_F(UserDbStoreTest, RestSecretsOfTheDatabaseDieWithTheOutageBound) {
  db.secrets = {{"example.org", "db-secret"}};
  auto store = make({.rest_mode = true});
  store->refresh(kT0, log);
  const std::string user = std::to_string(kT0 + 600) + ":alice";
  EXPECT_EQ(store->find(user, "example.org", kT0 + 30).status, Lookup::Status::kFound);
  EXPECT_EQ(store->find(user, "example.org", kT0 + 31).status, Lookup::Status::kUnknown);
}

// A table above a bound is not half loaded: the load fails (logged with the bound), the last
// snapshot serves, and the outage bound applies as for an unreadable database.
TEST_F(UserDbStoreTest, ATableAboveTheBoundIsRefusedWholeAndLogged) {
  db.add_user("example.org", "alice", "pass");
  SnapshotLimits limits;
  limits.max_users = 3;
  auto store = make({.limits = limits});
  store->refresh(kT0, log);
  for (int i = 0; i < 5; ++i) db.add_user("example.org", "u" + std::to_string(i), "p");
  store->refresh(kT0 + 1, log);
  EXPECT_NE(log.lines.back().find("more than 3 users: not loaded"), std::string::npos)
      << log.lines.back();
  EXPECT_TRUE(valid(store->find("alice", "example.org", kT0 + 1), "alice", "pass"));
  EXPECT_EQ(store->find("u0", "example.org", kT0 + 1).status, Lookup::Status::kUnknown);
  // Not read again every poll while nothing changes (a million rows a second would burn a
  // core); tried again after retry_failed_load_after, or at once when the database changes.
  const int loads = db.loads;
  for (std::int64_t t = kT0 + 2; t < kT0 + 31; ++t) store->refresh(t, log);
  EXPECT_EQ(db.loads, loads);
  EXPECT_EQ(store->find("alice", "example.org", kT0 + 31).status, Lookup::Status::kUnknown);
  store->refresh(kT0 + 31, log);
  EXPECT_EQ(db.loads, loads + 1);
  db.users.resize(3);
  ++db.version;
  store->refresh(kT0 + 32, log);
  EXPECT_EQ(db.loads, loads + 2);
  EXPECT_TRUE(valid(store->find("u0", "example.org", kT0 + 32), "u0", "p"));
}

TEST(SnapshotBuilderTest, SkipsMalformedRowsAndCountsThem) {
  SnapshotBuilder b({.max_field = 16});
  const std::string good = hex(md5_key("alice", "r", "p"));
  ASSERT_TRUE(b.add_user("r", "alice", good));
  ASSERT_TRUE(b.add_user("r", "short", "abc"));
  ASSERT_TRUE(b.add_user("r", "nothex", std::string(32, 'z')));
  ASSERT_TRUE(b.add_user("r", std::string(17, 'n'), good));  // name over max_field
  ASSERT_TRUE(b.add_secret("r", ""));
  auto s = std::move(b).finish();
  EXPECT_EQ(s->users, 1u);
  EXPECT_EQ(s->skipped.bad_key, 2u);
  EXPECT_EQ(s->skipped.too_long, 1u);
  EXPECT_EQ(s->skipped.empty_secret, 1u);
  EXPECT_NE(s->summary().find("skipped 4 rows"), std::string::npos) << s->summary();
}

// Names are bytes: NUL, quotes, SQL and non-UTF-8 bytes are looked up as they are.
TEST(SnapshotBuilderTest, OddNamesAreJustBytes) {
  SnapshotBuilder b;
  const std::string odd[] = {std::string("a\0b", 3), "x'; DROP TABLE turnusers_lt; --", "\xff\xfe",
                             "caf\xc3\xa9", std::string(508, 'L')};
  for (const auto& n : odd) ASSERT_TRUE(b.add_user("r", n, hex(md5_key(n, "r", "p"))));
  auto s = std::move(b).finish();
  for (const auto& n : odd) {
    const auto* realm = s->realm("r");
    ASSERT_NE(realm, nullptr);
    auto it = realm->users.find(n);
    ASSERT_NE(it, realm->users.end());
    EXPECT_EQ(it->second.md5, md5_key(n, "r", "p"));
  }
  EXPECT_EQ(s->realm("r")->users.count(std::string("a")), 0u);
}

// The SHA-256 key is used only beside the MD5 key it was written with: a password changed by
// coturn's turnadmin (hmackey rewritten, our row left behind) must not keep the old one valid.
TEST(SnapshotBuilderTest, Sha256KeyOfAnOlderPasswordIsDropped) {
  SnapshotBuilder b;
  const std::string now = hex(md5_key("alice", "r", "new"));
  ASSERT_TRUE(b.add_user("r", "alice", now));
  b.add_sha256("r", "alice", hex(md5_key("alice", "r", "old")),
               hex(sha256_key("alice", "r", "old")));
  ASSERT_TRUE(b.add_user("r", "bob", hex(md5_key("bob", "r", "pw"))));
  b.add_sha256("r", "bob", hex(md5_key("bob", "r", "pw")), hex(sha256_key("bob", "r", "pw")));
  b.add_sha256("r", "ghost", now, hex(sha256_key("ghost", "r", "x")));  // no such user
  auto s = std::move(b).finish();
  EXPECT_FALSE(s->realm("r")->users.at("alice").sha256.has_value());
  EXPECT_EQ(s->realm("r")->users.at("bob").sha256, sha256_key("bob", "r", "pw"));
  EXPECT_EQ(s->skipped.stale_sha256, 1u);
  EXPECT_EQ(s->users, 2u);
}

TEST(SnapshotBuilderTest, BoundsOnSecretsAndOtherRows) {
  SnapshotBuilder b({.max_secrets_per_realm = 2, .max_other_rows = 1});
  ASSERT_TRUE(b.add_secret("r", "a"));
  ASSERT_TRUE(b.add_secret("r", "b"));
  EXPECT_FALSE(b.add_secret("r", "c"));
  ASSERT_TRUE(b.add_secret("s", "c"));  // per realm
  ASSERT_TRUE(b.add_origin("https://a:443", "r"));
  EXPECT_FALSE(b.add_realm_option("r", "max-bps", "1"));
}

// Realms (coturn's dynamic realms): turn_origin_to_realm maps canonical origins, whatever case
// or default port a row was written with; turn_realm_option's three options are parsed; each
// realm's users and secrets answer only in that realm.
TEST_F(UserDbStoreTest, OriginsMapToRealmsWithTheirOptions) {
  db.add_user("example.org", "alice", "pass");
  db.add_user("b.example", "carol", "bpass");
  db.add_user("b.example", "alice", "other");        // the same name in realm B: another user
  db.origins = {{"HTTPS://B.Example", "b.example"},  // as typed: canonical at load
                {"http://a.example:8080/path", "example.org"},
                {"not an origin", "b.example"},
                {"https://empty.example", ""}};
  db.realm_options = {{"b.example", "user-quota", "1"},
                      {"b.example", "total-quota", "2"},
                      {"b.example", "max-bps", "64000"},
                      {"b.example", "colour", "blue"},
                      {"example.org", "user-quota", "ten"}};
  auto store = make();
  store->refresh(kT0, log);
  auto b = store->realm_for_origin("https://b.example:443");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->realm, "b.example");
  EXPECT_EQ(b->options.user_quota, 1u);
  EXPECT_EQ(b->options.total_quota, 2u);
  EXPECT_EQ(b->options.max_bps, 64000u);
  auto a = store->realm_for_origin("http://a.example:8080");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->realm, "example.org");
  EXPECT_EQ(a->options, RealmOptions{});  // "ten" is no number: skipped
  EXPECT_FALSE(store->realm_for_origin("https://c.example:443").has_value());
  EXPECT_FALSE(store->realm_for_origin("https://empty.example:443").has_value());
  EXPECT_EQ(store->realm_options("b.example").user_quota, 1u);
  EXPECT_EQ(store->realm_options("nowhere"), RealmOptions{});
  EXPECT_EQ(store->snapshot()->skipped.bad_origin, 2u);
  EXPECT_EQ(store->snapshot()->skipped.bad_realm_option, 2u);

  // Users answer in their own realm only.
  const Lookup carol = store->find("carol", "b.example", kT0);
  ASSERT_EQ(carol.status, Lookup::Status::kFound);
  EXPECT_EQ(carol.keys[0].md5, md5_key("carol", "b.example", "bpass"));
  EXPECT_EQ(store->find("carol", "example.org", kT0).status, Lookup::Status::kUnknown);
  EXPECT_EQ(store->find("alice", "b.example", kT0).keys[0].md5,
            md5_key("alice", "b.example", "other"));
  EXPECT_TRUE(valid(store->find("alice", "example.org", kT0), "alice", "pass"));
  // USERHASH finds users of any realm, in their realm.
  auto named = store->find_by_userhash(userhash("carol", "b.example"), "b.example", kT0);
  EXPECT_EQ(named.user, "carol");
  EXPECT_EQ(named.lookup.status, Lookup::Status::kFound);
  EXPECT_EQ(
      store->find_by_userhash(userhash("carol", "b.example"), "example.org", kT0).lookup.status,
      Lookup::Status::kUnknown);
  ASSERT_FALSE(log.lines.empty());
  EXPECT_NE(log.lines.back().find("2 origins mapped to realms"), std::string::npos)
      << log.lines.back();
}

// REST mode: a realm's secrets are the configured ones (valid in every realm, as coturn) plus
// its own turn_secret rows; another realm's rows are not valid in it.
TEST_F(UserDbStoreTest, RestSecretsArePerRealm) {
  db.secrets = {{"example.org", "secret-a"}, {"b.example", "secret-b"}};
  db.origins = {{"https://b.example", "b.example"}};
  UserDbStoreSettings s;
  s.rest_mode = true;
  s.static_secrets = {"configured"};
  auto store = make(s);
  store->refresh(kT0, log);
  const std::string name = std::to_string(kT0 + 600) + ":carol";
  auto keys_in = [&](const std::string& realm, const std::string& secret) {
    const auto l = store->find(name, realm, kT0);
    for (const auto& k : l.keys) {
      if (k.md5 == md5_key(name, realm, rest_password(secret, name))) return true;
    }
    return false;
  };
  EXPECT_TRUE(keys_in("b.example", "secret-b"));
  EXPECT_TRUE(keys_in("b.example", "configured"));
  EXPECT_FALSE(keys_in("b.example", "secret-a"));
  EXPECT_TRUE(keys_in("example.org", "secret-a"));
  EXPECT_FALSE(keys_in("example.org", "secret-b"));
  EXPECT_EQ(store->find(name, "nowhere.example", kT0).status, Lookup::Status::kUnknown);
}

// The snapshot bounds realms as it bounds rows: origins and options count as "other rows".
TEST(SnapshotBuilderTest, OriginsAndRealmOptionsCountAgainstTheBound) {
  SnapshotBuilder b(SnapshotLimits{.max_other_rows = 2});
  ASSERT_TRUE(b.add_origin("https://a.example", "a"));
  ASSERT_TRUE(b.add_realm_option("a", "user-quota", "3"));
  EXPECT_FALSE(b.add_origin("https://c.example", "c"));
}

// A mapped realm becomes the REALM of 401s (RFC 8489 §14.9: UTF-8, fewer than 128 characters,
// at most 509 bytes encoded). On 8064314 any row up to 1,024 bytes was mapped: a realm over 509
// bytes made every answer to that origin's clients fail to encode (no 401, no answer at all),
// and binary or over-long ones went out as malformed REALMs. Such rows are skipped, counted.
TEST(SnapshotBuilderTest, OriginsToRealmsThatCannotBeARealmAttributeAreSkipped) {
  SnapshotBuilder b(SnapshotLimits{});
  ASSERT_TRUE(b.add_origin("https://long.example", std::string(600, 'r')));
  ASSERT_TRUE(b.add_origin("https://chars.example", std::string(128, 'r')));
  ASSERT_TRUE(b.add_origin("https://binary.example", std::string("r\xff\xfe", 3)));
  ASSERT_TRUE(b.add_origin("https://control.example", std::string("r\n", 2)));
  ASSERT_TRUE(b.add_origin("https://ok.example", std::string(127, 'r')));
  // 127 characters of two bytes each (254 bytes): a valid REALM.
  std::string accented;
  for (int i = 0; i < 127; ++i) accented += "\xc3\xa9";
  ASSERT_TRUE(b.add_origin("https://accented.example", accented));
  auto snap = std::move(b).finish();
  EXPECT_EQ(snap->origin_to_realm.size(), 2u);
  EXPECT_TRUE(snap->origin_to_realm.contains("https://ok.example:443"));
  EXPECT_TRUE(snap->origin_to_realm.contains("https://accented.example:443"));
  EXPECT_EQ(snap->skipped.bad_origin, 4u);
  EXPECT_EQ(snap->realm(std::string(600, 'r')), nullptr) << "no realm made for a skipped row";
}

}  // namespace
}  // namespace ferry::auth
