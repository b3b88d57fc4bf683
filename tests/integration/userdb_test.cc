// The user database against the real turnserver: a client allocates as a database user, the
// test changes the database with Ferry's turnadmin while the server runs, and the server
// follows within the documented bound (2 s); the database removed (fail closed after 30 s,
// relaying allocations unaffected, recovery); and a database made by Debian coturn's
// turnadmin, served unchanged.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "client/turn_client.h"
#include "echo_peer.h"
#include "ferry/auth/rest_secrets.h"
#include "loopback_server_test.h"
#include "server_process.h"

namespace ferry::testing {
namespace {

using client::TurnClient;
using Clock = std::chrono::steady_clock;

// The staleness bound the README documents: a change is live within this long.
constexpr auto kStaleness = std::chrono::seconds(2);

class UserdbTest : public LoopbackServerTest {
 protected:
  std::string db() const { return dir_.path() + "/turndb"; }
  void start(const std::string& extra = "") {
    launch([&](std::uint16_t port) {
      return "listening-ip=127.0.0.1\nlistening-port=" + std::to_string(port) +
             "\nrelay-ip=127.0.0.1\nmin-port=44000\nmax-port=44999\nrealm=example.org\n"
             "allow-loopback-peers\nuserdb=" +
             db() + "\n" + extra;
    });
  }
  RunResult turnadmin(std::vector<std::string> args, const char* tool = FERRY_TURNADMIN) {
    args.insert(args.begin(), tool);
    args.push_back("-b");
    args.push_back(db());
    return run_program(args);
  }
  void admin_ok(const std::vector<std::string>& args) {
    auto r = turnadmin(args);
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  TempDir dir_;
};

TEST_F(UserdbTest, TurnadminChangesReachTheRunningServer) {
  admin_ok({"-a", "-u", "alice", "-r", "example.org", "-p", "pass"});
  start();
  EchoPeer peer;
  auto alice = client(Transport::kUdp);
  auto a = alice.allocate("alice", "pass", 600);
  ASSERT_TRUE(a.ok) << a.error_code << " " << a.reason << "\n" << server_->log();
  ASSERT_TRUE(alice.channel_bind(0x4000, peer.address()).ok);
  EXPECT_NE(server_->log().find("userdb: loaded SQLite database " + db()), std::string::npos)
      << server_->log();
  EXPECT_EQ(try_allocate("bob", "pw"), 401);

  admin_ok({"-a", "-u", "bob", "-r", "example.org", "-p", "pw"});
  const double added = until("bob", "pw", 0);
  EXPECT_GE(added, 0) << "a user added with turnadmin never became valid\n" << server_->log();
  EXPECT_LE(added, std::chrono::duration<double>(kStaleness).count());
  auto listed = turnadmin({"-l"});
  EXPECT_EQ(listed.output, "alice[example.org]\nbob[example.org]\n");

  admin_ok({"-d", "-u", "alice", "-r", "example.org"});
  const double deleted = until("alice", "pass", 401);
  EXPECT_GE(deleted, 0) << "a deleted user stayed valid\n" << server_->log();
  EXPECT_LE(deleted, std::chrono::duration<double>(kStaleness).count());
  // The allocation alice made before keeps relaying: only new authentications are asked.
  const std::vector<std::uint8_t> payload(64, 0x5A);
  ASSERT_TRUE(alice.send_channel_data(0x4000, payload));
  auto back = alice.receive_data(Millis(2000));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->data, payload);
  std::printf("[ measured ] added user valid after %.2f s, deleted user refused after %.2f s\n",
              added, deleted);
}

// RFC 8489 with database users: our turnadmin stores the SHA-256 key beside coturn's MD5 one, so
// a SHA-256 client and a USERHASH client authenticate, relay and refresh; a user made by coturn's
// turnadmin (an MD5 key only) is 401 with SHA-256, as a 0x account is, and fine with MD5.
TEST_F(UserdbTest, Sha256AndUserhashClientsWithDatabaseUsers) {
  admin_ok({"-a", "-u", "alice", "-r", "example.org", "-p", "pass"});
  start();
  EchoPeer peer;
  for (bool userhash : {false, true}) {
    auto c = client(Transport::kUdp,
                    {.password = client::PasswordChoice::kSha256, .userhash = userhash});
    auto a = c.allocate("alice", "pass", 600);
    ASSERT_TRUE(a.ok) << userhash << ": " << a.error_code << " " << a.reason << "\n"
                      << server_->log();
    EXPECT_TRUE(a.authenticated);
    ASSERT_TRUE(c.channel_bind(0x4000, peer.address()).ok);
    const std::vector<std::uint8_t> payload(48, 0x33);
    ASSERT_TRUE(c.send_channel_data(0x4000, payload));
    auto back = c.receive_data(Millis(2000));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->data, payload);
    auto r = c.refresh(0);
    EXPECT_TRUE(r.ok && r.authenticated) << r.error_code << " " << r.reason;
  }
  const char* coturn = "/usr/bin/turnadmin";
  if (access(coturn, X_OK) != 0) return;
  ASSERT_EQ(turnadmin({"-a", "-u", "dave", "-r", "example.org", "-p", "pw"}, coturn).exit_code, 0);
  ASSERT_GE(until("dave", "pw", 0), 0) << server_->log();
  auto sha = client(Transport::kUdp, {.password = client::PasswordChoice::kSha256})
                 .allocate("dave", "pw", 600);
  EXPECT_EQ(sha.error_code, 401);
}

// Rotation without a restart: every turn_secret row of the realm is valid beside
// static-auth-secret; a row removed is refused within the bound.
TEST_F(UserdbTest, RestSecretsRotateThroughTheDatabase) {
  admin_ok({"-s", "old-secret-0123456789abcdef", "-r", "example.org"});
  start("use-auth-secret\nstatic-auth-secret=config-secret-0123456789abcdef\n");
  const std::string user = rest_user("alice");
  const auto pass = [&](const std::string& secret) { return auth::rest_password(secret, user); };
  EXPECT_EQ(try_allocate(user, pass("old-secret-0123456789abcdef")), 0) << server_->log();
  EXPECT_EQ(try_allocate(user, pass("config-secret-0123456789abcdef")), 0);
  EXPECT_EQ(try_allocate(user, pass("new-secret-0123456789abcdef")), 401);

  admin_ok({"-s", "new-secret-0123456789abcdef", "-r", "example.org"});
  EXPECT_GE(until(user, pass("new-secret-0123456789abcdef"), 0), 0) << server_->log();
  EXPECT_EQ(try_allocate(user, pass("old-secret-0123456789abcdef")), 0);  // both, while rotating
  auto shown = turnadmin({"-S", "-r", "example.org"});
  EXPECT_EQ(shown.output,
            "new-secret-0123456789abcdef[example.org]\nold-secret-0123456789abcdef[example.org]\n");

  admin_ok({"-X", "old-secret-0123456789abcdef", "-r", "example.org"});
  const double removed = until(user, pass("old-secret-0123456789abcdef"), 401);
  EXPECT_GE(removed, 0) << "a removed secret stayed valid\n" << server_->log();
  EXPECT_LE(removed, std::chrono::duration<double>(kStaleness).count());
  EXPECT_EQ(try_allocate(user, pass("new-secret-0123456789abcdef")), 0);
  EXPECT_EQ(try_allocate(user, pass("config-secret-0123456789abcdef")), 0);
}

// The outage: the file removed while the server runs. The last snapshot serves for 30 s, then
// database users get 401 (logged once); relaying allocations are untouched; a database that
// comes back is served again without a restart.
TEST_F(UserdbTest, DatabaseRemovedFailsClosedAfterTheBoundAndRecovers) {
  const char* threads = std::getenv("FERRY_TEST_RELAY_THREADS");
  if (threads != nullptr && std::string(threads) == "2") {
    GTEST_SKIP() << "takes 35 s and involves no worker: run once, with one worker";
  }
  admin_ok({"-a", "-u", "alice", "-r", "example.org", "-p", "pass"});
  start("user=carol:fromconfig\n");
  EchoPeer peer;
  auto alice = client(Transport::kUdp);
  ASSERT_TRUE(alice.allocate("alice", "pass", 600).ok) << server_->log();
  ASSERT_TRUE(alice.channel_bind(0x4000, peer.address()).ok);

  const auto removed_at = Clock::now();
  std::filesystem::remove(db());
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_EQ(try_allocate("alice", "pass"), 0) << "the last snapshot serves within the bound";
  EXPECT_NE(server_->log().find("serving the last snapshot for up to 30 s"), std::string::npos)
      << server_->log();

  const double closed = until("alice", "pass", 401, std::chrono::milliseconds(40000));
  ASSERT_GE(closed, 0) << server_->log();
  const double since_removal = std::chrono::duration<double>(Clock::now() - removed_at).count();
  EXPECT_GE(since_removal, 29.0);
  EXPECT_LE(since_removal, 34.0);
  // The refresher's next poll (within a second) says so in the log.
  for (int i = 0;
       i < 30 && server_->log().find("are refused (401) until it reads again") == std::string::npos;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(server_->log().find("are refused (401) until it reads again"), std::string::npos)
      << server_->log();
  EXPECT_EQ(try_allocate("carol", "fromconfig"), 0);  // the configuration's users still work
  const std::vector<std::uint8_t> payload(64, 0x33);
  ASSERT_TRUE(alice.send_channel_data(0x4000, payload));
  auto back = alice.receive_data(Millis(2000));
  ASSERT_TRUE(back) << "a relaying allocation must not notice the outage";
  EXPECT_EQ(back->data, payload);

  admin_ok({"-a", "-u", "alice", "-r", "example.org", "-p", "pass"});
  const double recovered = until("alice", "pass", 0);
  EXPECT_GE(recovered, 0) << server_->log();
  EXPECT_NE(server_->log().find("is readable again"), std::string::npos) << server_->log();
  std::printf("[ measured ] fail closed %.1f s after removal; recovered %.2f s after turnadmin\n",
              since_removal, recovered);
}

// A database made by Debian coturn's own turnadmin, used as it is: its user in long-term mode,
// its secret in REST mode.
TEST_F(UserdbTest, DatabaseMadeByCoturnsTurnadminIsServedUnchanged) {
  const char* coturn = "/usr/bin/turnadmin";
  if (access(coturn, X_OK) != 0) GTEST_SKIP() << "coturn's turnadmin is not installed";
  ASSERT_EQ(turnadmin({"-a", "-u", "alice", "-r", "example.org", "-p", "pass"}, coturn).exit_code,
            0);
  ASSERT_EQ(
      turnadmin({"-s", "coturn-secret-0123456789abcdef", "-r", "example.org"}, coturn).exit_code,
      0);
  start();
  EXPECT_EQ(try_allocate("alice", "pass"), 0) << server_->log();
  EXPECT_EQ(try_allocate("alice", "wrong"), 401);
  // Ferry's turnadmin reads coturn's file too.
  EXPECT_EQ(turnadmin({"-l"}).output, "alice[example.org]\n");
  EXPECT_EQ(server_->stop(), 0) << server_->log();
  server_.reset();

  start("use-auth-secret\n");
  const std::string user = rest_user("bob");
  EXPECT_EQ(try_allocate(user, auth::rest_password("coturn-secret-0123456789abcdef", user)), 0)
      << server_->log();
  EXPECT_EQ(try_allocate(user, auth::rest_password("another-secret", user)), 401);
}

}  // namespace
}  // namespace ferry::testing
