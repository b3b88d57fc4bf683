// Realms end to end (coturn's dynamic realms): a SQLite database made with our turnadmin maps
// two origins to two realms with different users and quotas; clients that send ORIGIN are
// answered and authenticated in their origin's realm, over real sockets on loopback, with one
// worker and with two (the suite runs both). Per-realm quotas are shared by the workers.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "client/turn_client.h"
#include "echo_peer.h"
#include "loopback_server_test.h"
#include "server_process.h"

namespace ferry::testing {
namespace {

using client::TurnClient;

constexpr const char* kOriginA = "https://a.example";
constexpr const char* kOriginB = "https://b.example";

class RealmsTest : public LoopbackServerTest {
 protected:
  std::string db() const { return dir_.path() + "/turndb"; }
  void admin_ok(std::vector<std::string> args) {
    args.insert(args.begin(), FERRY_TURNADMIN);
    args.push_back("-b");
    args.push_back(db());
    auto r = run_program(args);
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  void SetUp() override {
    // Realm a.example: alice (no realm options). Realm b.example: carol, dave and another
    // alice, at most 1 allocation per user and 2 in all. No ORIGIN: the configured realm,
    // example.org, whose only user is erin.
    admin_ok({"-a", "-u", "erin", "-r", "example.org", "-p", "erin-pw"});
    admin_ok({"-a", "-u", "alice", "-r", "a.example", "-p", "alice-a"});
    admin_ok({"-a", "-u", "alice", "-r", "b.example", "-p", "alice-b"});
    admin_ok({"-a", "-u", "carol", "-r", "b.example", "-p", "carol-b"});
    admin_ok({"-a", "-u", "dave", "-r", "b.example", "-p", "dave-b"});
    admin_ok({"-O", "-o", kOriginA, "-r", "a.example"});
    admin_ok({"-O", "-o", kOriginB, "-r", "b.example"});
    admin_ok({"-g", "-r", "b.example", "--user-quota", "1", "--total-quota", "2"});
  }
  void start(const std::string& extra = "") {
    launch([&](std::uint16_t port) {
      return "listening-ip=127.0.0.1\nlistening-port=" + std::to_string(port) +
             "\nrelay-ip=127.0.0.1\nmin-port=45000\nmax-port=45999\nrealm=example.org\n"
             "allow-loopback-peers\nuserdb=" +
             db() + "\n" + extra;
    });
  }
  TurnClient from(const std::string& origin) {
    client::TurnOptions o;
    o.origin = origin;
    return client(Transport::kUdp, o);
  }
  TempDir dir_;
};

TEST_F(RealmsTest, OriginsPickRealmsWithTheirUsersAndQuotas) {
  start();
  EchoPeer peer;
  // Realm A: alice with realm A's password, relaying.
  auto alice_a = from(kOriginA);
  auto a = alice_a.allocate("alice", "alice-a", 600);
  ASSERT_TRUE(a.ok) << a.error_code << " " << a.reason << "\n" << server_->log();
  EXPECT_EQ(alice_a.realm(), "a.example");
  ASSERT_TRUE(alice_a.channel_bind(0x4000, peer.address()).ok);
  const std::vector<std::uint8_t> payload(80, 0xA5);
  ASSERT_TRUE(alice_a.send_channel_data(0x4000, payload));
  auto back = alice_a.receive_data(Millis(2000));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->data, payload);
  // The same name with realm A's password is refused in realm B, and the reverse.
  auto wrong = from(kOriginB).allocate("alice", "alice-a", 600);
  EXPECT_EQ(wrong.error_code, 401);
  EXPECT_EQ(from(kOriginA).allocate("alice", "alice-b", 600).error_code, 401);
  // Realm B's quotas: user-quota 1, total-quota 2 (held allocations).
  auto carol1 = from(kOriginB);
  auto c1 = carol1.allocate("carol", "carol-b", 600);
  ASSERT_TRUE(c1.ok) << c1.error_code << " " << c1.reason;
  EXPECT_EQ(carol1.realm(), "b.example");
  EXPECT_EQ(from(kOriginB).allocate("carol", "carol-b", 600).error_code, 486);
  auto alice_b = from(kOriginB);
  ASSERT_TRUE(alice_b.allocate("alice", "alice-b", 600).ok);
  EXPECT_EQ(from(kOriginB).allocate("dave", "dave-b", 600).error_code, 486);
  // Realm A and the configured realm are unaffected by realm B's limits.
  std::vector<TurnClient> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(from(kOriginA));
    EXPECT_TRUE(held.back().allocate("alice", "alice-a", 600).ok);
  }
  auto erin = client(Transport::kUdp);  // no ORIGIN
  ASSERT_TRUE(erin.allocate("erin", "erin-pw", 600).ok);
  EXPECT_EQ(erin.realm(), "example.org");
  // A Refresh is in the allocation's realm; deleting gives realm B its unit back.
  EXPECT_TRUE(carol1.refresh(600).ok);
  ASSERT_TRUE(carol1.refresh(0).ok);
  auto dave = from(kOriginB);
  EXPECT_TRUE(dave.allocate("dave", "dave-b", 600).ok) << server_->log();
  const std::string log = server_->log();
  EXPECT_NE(log.find("2 origins mapped to realms"), std::string::npos) << log;
}

// An unmapped ORIGIN is the configured realm; no-dynamic-realms ignores ORIGIN altogether.
TEST_F(RealmsTest, UnmappedOriginAndNoDynamicRealms) {
  start("no-dynamic-realms\n");
  auto erin = from(kOriginB);
  ASSERT_TRUE(erin.allocate("erin", "erin-pw", 600).ok) << server_->log();
  EXPECT_EQ(erin.realm(), "example.org");
  EXPECT_EQ(from(kOriginB).allocate("carol", "carol-b", 600).error_code, 401);
}

// check-origin-consistency over the wire: a Refresh with another ORIGIN is 441.
TEST_F(RealmsTest, CheckOriginConsistency) {
  start("check-origin-consistency\n");
  auto carol = from(kOriginB);
  ASSERT_TRUE(carol.allocate("carol", "carol-b", 600).ok) << server_->log();
  EXPECT_TRUE(carol.refresh(600).ok);
  carol.set_origin("https://other.example");
  auto r = carol.refresh(600);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error_code, 441);
}

}  // namespace
}  // namespace ferry::testing
