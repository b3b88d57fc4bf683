// Shared user databases against the real turnserver: a real redis-server and a real PostgreSQL
// on loopback (db_servers.h), changed with Ferry's turnadmin (-N, -e) while the server runs,
// or filled by Debian coturn's turnadmin and used unchanged. Abuse cases: the database down at
// the start, going down while allocations relay (fail closed after userdb-max-stale, recovery
// by itself), hung (a listener that never answers), a wrong password (said clearly, never
// logged), and user names with odd bytes (data, never syntax).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "client/turn_client.h"
#include "db_servers.h"
#include "echo_peer.h"
#include "ferry/auth/rest_secrets.h"
#include "loopback_server_test.h"
#include "server_process.h"

namespace ferry::testing {
namespace {

using Clock = std::chrono::steady_clock;
constexpr double kStaleness = 2.0;  // seconds: the README's bound for a change to be live
constexpr const char* kCoturnAdmin = "/usr/bin/turnadmin";

bool one_worker_only() {
  const char* threads = std::getenv("FERRY_TEST_RELAY_THREADS");
  return threads != nullptr && std::string(threads) == "2";
}

class SharedDbTest : public LoopbackServerTest {
 protected:
  // `db_line`: "redis-userdb=..." or "psql-userdb=...".
  void start(const std::string& db_line, const std::string& extra = "") {
    launch([&](std::uint16_t port) {
      return "listening-ip=127.0.0.1\nlistening-port=" + std::to_string(port) +
             "\nrelay-ip=127.0.0.1\nmin-port=45000\nmax-port=45999\nrealm=example.org\n"
             "allow-loopback-peers\n" +
             db_line + "\n" + extra;
    });
  }
  void stop_server() {
    if (!server_) return;
    EXPECT_EQ(server_->stop(), 0) << server_->log();
    server_.reset();
  }
  // `flag` is -N or -e, `db` its connection string.
  RunResult admin(std::vector<std::string> args, const std::string& flag, const std::string& db,
                  const char* tool = FERRY_TURNADMIN) {
    args.insert(args.begin(), tool);
    args.push_back(flag);
    args.push_back(db);
    return run_program(args);
  }
  void admin_ok(const std::vector<std::string>& args, const std::string& flag,
                const std::string& db) {
    auto r = admin(args, flag, db);
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  bool log_has(const std::string& text, int wait_ms = 3000) {
    for (int waited = 0;; waited += 100) {
      if (server_->log().find(text) != std::string::npos) return true;
      if (waited >= wait_ms) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  // The shared scenario: users added and deleted with turnadmin reach the running server within
  // the bound, an allocation made before a deletion keeps relaying, and in REST mode secrets
  // rotate through the database.
  void changes_reach_the_server(const std::string& option, const std::string& flag,
                                const std::string& db) {
    admin_ok({"-a", "-u", "alice", "-r", "example.org", "-p", "pass"}, flag, db);
    start(option + "=" + db);
    EchoPeer peer;
    auto alice = client(Transport::kUdp);
    auto a = alice.allocate("alice", "pass", 600);
    ASSERT_TRUE(a.ok) << a.error_code << " " << a.reason << "\n" << server_->log();
    ASSERT_TRUE(alice.channel_bind(0x4000, peer.address()).ok);
    EXPECT_EQ(try_allocate("alice", "wrong"), 401);
    EXPECT_EQ(try_allocate("bob", "pw"), 401);

    admin_ok({"-a", "-u", "bob", "-r", "example.org", "-p", "pw"}, flag, db);
    const double added = until("bob", "pw", 0);
    EXPECT_GE(added, 0) << "a user added with turnadmin never became valid\n" << server_->log();
    EXPECT_LE(added, kStaleness);
    EXPECT_EQ(admin({"-l"}, flag, db).output, "alice[example.org]\nbob[example.org]\n");

    admin_ok({"-d", "-u", "alice", "-r", "example.org"}, flag, db);
    const double deleted = until("alice", "pass", 401);
    EXPECT_GE(deleted, 0) << "a deleted user stayed valid\n" << server_->log();
    EXPECT_LE(deleted, kStaleness);
    const std::vector<std::uint8_t> payload(64, 0x5A);
    ASSERT_TRUE(alice.send_channel_data(0x4000, payload));
    auto back = alice.receive_data(Millis(2000));
    ASSERT_TRUE(back) << "an allocation made before the deletion must keep relaying";
    EXPECT_EQ(back->data, payload);
    stop_server();

    // REST mode: every secret of the realm is valid; one removed is refused within the bound.
    admin_ok({"-s", "old-secret-0123456789abcdef", "-r", "example.org"}, flag, db);
    start(option + "=" + db, "use-auth-secret\n");
    const std::string user = rest_user("carol");
    const auto pass = [&](const std::string& s) { return auth::rest_password(s, user); };
    EXPECT_EQ(try_allocate(user, pass("old-secret-0123456789abcdef")), 0) << server_->log();
    admin_ok({"-s", "new-secret-0123456789abcdef", "-r", "example.org"}, flag, db);
    const double rotated = until(user, pass("new-secret-0123456789abcdef"), 0);
    EXPECT_GE(rotated, 0) << server_->log();
    EXPECT_LE(rotated, kStaleness);
    EXPECT_EQ(try_allocate(user, pass("old-secret-0123456789abcdef")), 0);  // both, meanwhile
    admin_ok({"-X", "old-secret-0123456789abcdef", "-r", "example.org"}, flag, db);
    const double removed = until(user, pass("old-secret-0123456789abcdef"), 401);
    EXPECT_GE(removed, 0) << "a removed secret stayed valid\n" << server_->log();
    EXPECT_LE(removed, kStaleness);
    EXPECT_EQ(try_allocate(user, pass("new-secret-0123456789abcdef")), 0);
    std::printf(
        "[ measured ] %s: user added %.2f s, deleted %.2f s, secret added %.2f s, "
        "removed %.2f s\n",
        option.c_str(), added, deleted, rotated, removed);
  }

  // Names are data: each odd one is stored and found as itself, and never as another user.
  void odd_names_are_data(const std::string& option, const std::string& flag, const std::string& db,
                          const std::vector<std::string>& names) {
    for (const auto& n : names) {
      admin_ok({"-a", "-u", n, "-r", "example.org", "-p", "pw-" + n}, flag, db);
    }
    start(option + "=" + db);
    for (const auto& n : names) {
      EXPECT_EQ(try_allocate(n, "pw-" + n), 0) << n << "\n" << server_->log();
    }
    EXPECT_EQ(try_allocate("x", "pw-x/key"), 401);  // "x/key" is not the user "x"
    EXPECT_EQ(try_allocate("o", "pw-o"), 401);
  }
};

// ---- Redis -------------------------------------------------------------------------------

class RedisDbTest : public SharedDbTest {
 protected:
  void SetUp() override {
    if (auto why = redis_unavailable(); !why.empty()) GTEST_SKIP() << why;
    redis_ = std::make_unique<RedisServer>();
    ASSERT_TRUE(redis_->running()) << redis_->why();
  }
  std::unique_ptr<RedisServer> redis_;
};

TEST_F(RedisDbTest, TurnadminChangesReachTheRunningServer) {
  changes_reach_the_server("redis-userdb", "-N", redis_->conninfo(2));
}

TEST_F(RedisDbTest, OddUserNamesAreData) {
  odd_names_are_data("redis-userdb", "-N", redis_->conninfo(),
                     {"x/key", "a/user/b", "sp ace", "quote'\"", "j\xC3\xBCrgen", "*?[glob]\\"});
}

// Down at the start, up, down while an allocation relays, up again: the server never needs a
// restart, and the configuration's own users work throughout.
TEST_F(RedisDbTest, OutagesFailClosedAfterTheBoundAndRecover) {
  if (one_worker_only()) GTEST_SKIP() << "involves no worker: run once, with one worker";
  redis_->stop();
  start("redis-userdb=" + redis_->conninfo(), "user=carol:fromconfig\nuserdb-max-stale=2\n");
  EXPECT_TRUE(log_has("cannot connect to Redis 127.0.0.1:" + std::to_string(redis_->port()) +
                      ": Connection refused; nothing loaded yet"))
      << server_->log();
  EXPECT_EQ(try_allocate("alice", "pass"), 401);
  EXPECT_EQ(try_allocate("carol", "fromconfig"), 0);

  ASSERT_TRUE(redis_->start());
  admin_ok({"-a", "-u", "alice", "-r", "example.org", "-p", "pass"}, "-N", redis_->conninfo());
  const double up = until("alice", "pass", 0);
  ASSERT_GE(up, 0) << server_->log();
  EchoPeer peer;
  auto alice = client(Transport::kUdp);
  ASSERT_TRUE(alice.allocate("alice", "pass", 600).ok) << server_->log();
  ASSERT_TRUE(alice.channel_bind(0x4000, peer.address()).ok);

  const auto down_at = Clock::now();
  redis_->stop();
  const double closed = until("alice", "pass", 401, std::chrono::milliseconds(8000));
  ASSERT_GE(closed, 0) << server_->log();
  const double after = std::chrono::duration<double>(Clock::now() - down_at).count();
  EXPECT_GE(after, 1.5);  // the bound (2 s) served the last snapshot
  EXPECT_LE(after, 5.0);
  EXPECT_TRUE(log_has("are refused (401) until it reads again")) << server_->log();
  EXPECT_EQ(try_allocate("carol", "fromconfig"), 0);
  const std::vector<std::uint8_t> payload(64, 0x33);
  ASSERT_TRUE(alice.send_channel_data(0x4000, payload));
  auto back = alice.receive_data(Millis(2000));
  ASSERT_TRUE(back) << "a relaying allocation must not notice the outage";

  ASSERT_TRUE(redis_->start());  // empty again: nothing is saved
  admin_ok({"-a", "-u", "alice", "-r", "example.org", "-p", "pass"}, "-N", redis_->conninfo());
  const double recovered = until("alice", "pass", 0);
  EXPECT_GE(recovered, 0) << server_->log();
  EXPECT_TRUE(log_has("is readable again")) << server_->log();
  std::printf(
      "[ measured ] Redis: up after %.2f s, closed %.1f s after going down, recovered "
      "%.2f s after coming back\n",
      up, after, recovered);
}

// A Redis that accepts the connection and never answers: the start and every poll give up
// after connect_timeout, the server keeps serving, and SIGTERM is not held up.
TEST_F(RedisDbTest, HungRedisNeverHoldsTheServer) {
  SilentListener hung;
  start("redis-userdb=ip=127.0.0.1 port=" + std::to_string(hung.port()) + " connect_timeout=1",
        "user=carol:fromconfig\n");
  EXPECT_EQ(try_allocate("carol", "fromconfig"), 0) << server_->log();
  EXPECT_EQ(try_allocate("alice", "pass"), 401);
  EXPECT_TRUE(log_has("no answer within the timeout")) << server_->log();
  EXPECT_GE(hung.accepted(), 1);
  const auto stopping = Clock::now();
  stop_server();
  EXPECT_LE(std::chrono::duration<double>(Clock::now() - stopping).count(), 3.0);
}

TEST_F(RedisDbTest, WrongPasswordIsSaidClearlyAndNeverLogged) {
  const std::string wrong = "wrong-pw-7f3a9c";
  start("redis-userdb=" + redis_->conninfo(0, wrong));
  EXPECT_TRUE(log_has("WRONGPASS")) << server_->log();
  EXPECT_TRUE(log_has("is the password right?")) << server_->log();
  EXPECT_EQ(server_->log().find(wrong), std::string::npos) << server_->log();
  auto r = admin({"-l"}, "-N", redis_->conninfo(0, wrong));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("WRONGPASS"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find(wrong), std::string::npos) << r.output;
}

TEST_F(RedisDbTest, DatabaseFilledByCoturnsTurnadminIsServedUnchanged) {
  if (access(kCoturnAdmin, X_OK) != 0) GTEST_SKIP() << "coturn's turnadmin is not installed";
  const std::string db = redis_->conninfo(3);
  admin({"-a", "-u", "alice", "-r", "example.org", "-p", "pass"}, "-N", db, kCoturnAdmin);
  admin({"-s", "coturn-secret-0123456789abcdef", "-r", "example.org"}, "-N", db, kCoturnAdmin);
  ASSERT_EQ(admin({"-l"}, "-N", db).output, "alice[example.org]\n");  // coturn's exits 0 always
  start("redis-userdb=" + db);
  EXPECT_EQ(try_allocate("alice", "pass"), 0) << server_->log();
  EXPECT_EQ(try_allocate("alice", "wrong"), 401);
  stop_server();
  start("redis-userdb=" + db, "use-auth-secret\n");
  const std::string user = rest_user("bob");
  EXPECT_EQ(try_allocate(user, auth::rest_password("coturn-secret-0123456789abcdef", user)), 0)
      << server_->log();
}

// ---- PostgreSQL --------------------------------------------------------------------------

class PostgresDbTest : public SharedDbTest {
 protected:
  void SetUp() override {
    if (auto why = postgres_unavailable(); !why.empty()) GTEST_SKIP() << why;
    pg_ = std::make_unique<PostgresServer>();
    ASSERT_TRUE(pg_->running() && pg_->why().empty()) << pg_->why();
  }
  std::unique_ptr<PostgresServer> pg_;
};

TEST_F(PostgresDbTest, TurnadminChangesReachTheRunningServer) {
  changes_reach_the_server("psql-userdb", "-e", pg_->conninfo());
}

TEST_F(PostgresDbTest, OddUserNamesAreData) {
  odd_names_are_data(
      "psql-userdb", "-e", pg_->conninfo(),
      {"o'brien; DROP TABLE turnusers_lt;--", "back\\slash", "x/key", "$1 ?", "j\xC3\xBCrgen"});
  EXPECT_EQ(pg_->psql("SELECT count(*) FROM turnusers_lt").output, "5\n");
}

TEST_F(PostgresDbTest, OutagesFailClosedAfterTheBoundAndRecover) {
  if (one_worker_only()) GTEST_SKIP() << "involves no worker: run once, with one worker";
  admin_ok({"-a", "-u", "alice", "-r", "example.org", "-p", "pass"}, "-e", pg_->conninfo());
  pg_->stop();
  start("psql-userdb=" + pg_->conninfo(), "user=carol:fromconfig\nuserdb-max-stale=2\n");
  EXPECT_TRUE(log_has("Connection refused")) << server_->log();
  EXPECT_TRUE(log_has("nothing loaded yet")) << server_->log();
  EXPECT_EQ(try_allocate("alice", "pass"), 401);
  EXPECT_EQ(try_allocate("carol", "fromconfig"), 0);

  ASSERT_TRUE(pg_->start()) << pg_->why();
  const double up = until("alice", "pass", 0);
  ASSERT_GE(up, 0) << server_->log();
  EchoPeer peer;
  auto alice = client(Transport::kUdp);
  ASSERT_TRUE(alice.allocate("alice", "pass", 600).ok) << server_->log();
  ASSERT_TRUE(alice.channel_bind(0x4000, peer.address()).ok);

  const auto down_at = Clock::now();
  pg_->stop();
  const double closed = until("alice", "pass", 401, std::chrono::milliseconds(8000));
  ASSERT_GE(closed, 0) << server_->log();
  const double after = std::chrono::duration<double>(Clock::now() - down_at).count();
  EXPECT_GE(after, 1.5);
  EXPECT_LE(after, 5.0);
  EXPECT_TRUE(log_has("are refused (401) until it reads again")) << server_->log();
  const std::vector<std::uint8_t> payload(64, 0x33);
  ASSERT_TRUE(alice.send_channel_data(0x4000, payload));
  ASSERT_TRUE(alice.receive_data(Millis(2000))) << "a relaying allocation must not notice";

  ASSERT_TRUE(pg_->start()) << pg_->why();
  const double recovered = until("alice", "pass", 0);
  EXPECT_GE(recovered, 0) << server_->log();
  EXPECT_TRUE(log_has("is readable again")) << server_->log();
  std::printf(
      "[ measured ] PostgreSQL: up after %.2f s, closed %.1f s after going down, "
      "recovered %.2f s after coming back\n",
      up, after, recovered);
}

// A "PostgreSQL" that accepts the connection and never answers: connect_timeout bounds the
// start and every poll.
TEST_F(PostgresDbTest, HungPostgresNeverHoldsTheServer) {
  SilentListener hung;
  start("psql-userdb=host=127.0.0.1 port=" + std::to_string(hung.port()) +
            " dbname=turn user=u password=hung-pw connect_timeout=2",
        "user=carol:fromconfig\n");
  EXPECT_EQ(try_allocate("carol", "fromconfig"), 0) << server_->log();
  EXPECT_TRUE(log_has("timeout expired", 5000)) << server_->log();
  const auto stopping = Clock::now();
  stop_server();
  EXPECT_LE(std::chrono::duration<double>(Clock::now() - stopping).count(), 4.0);
}

TEST_F(PostgresDbTest, WrongPasswordIsSaidClearlyAndNeverLogged) {
  const std::string wrong = "wrong-pw-7f3a9c";
  start("psql-userdb=" + pg_->conninfo(wrong));
  EXPECT_TRUE(log_has("password authentication failed for user \"ferry\"")) << server_->log();
  EXPECT_EQ(server_->log().find(wrong), std::string::npos) << server_->log();
  auto r = admin({"-l"}, "-e", pg_->conninfo(wrong));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("password authentication failed"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find(wrong), std::string::npos) << r.output;
}

TEST_F(PostgresDbTest, DatabaseFilledByCoturnsTurnadminIsServedUnchanged) {
  const char* schema = "/usr/share/coturn/schema.sql";
  if (access(kCoturnAdmin, X_OK) != 0 || access(schema, R_OK) != 0) {
    GTEST_SKIP() << "coturn's turnadmin or schema.sql is not installed";
  }
  auto made = pg_->psql_file(schema);  // coturn's setup: its schema, then its turnadmin
  ASSERT_EQ(made.exit_code, 0) << made.output;
  const std::string db = pg_->conninfo();
  admin({"-a", "-u", "alice", "-r", "example.org", "-p", "pass"}, "-e", db, kCoturnAdmin);
  admin({"-s", "coturn-secret-0123456789abcdef", "-r", "example.org"}, "-e", db, kCoturnAdmin);
  ASSERT_EQ(admin({"-l"}, "-e", db).output, "alice[example.org]\n");
  start("psql-userdb=" + db);
  EXPECT_EQ(try_allocate("alice", "pass"), 0) << server_->log();
  EXPECT_EQ(try_allocate("alice", "wrong"), 401);
  stop_server();
  start("psql-userdb=" + db, "use-auth-secret\n");
  const std::string user = rest_user("bob");
  EXPECT_EQ(try_allocate(user, auth::rest_password("coturn-secret-0123456789abcdef", user)), 0)
      << server_->log();
}

}  // namespace
}  // namespace ferry::testing
