// Realms end to end (coturn's dynamic realms): a SQLite database made with our turnadmin maps
// two origins to two realms with different users and quotas; clients that send ORIGIN are
// answered and authenticated in their origin's realm, over real sockets on loopback, with one
// worker and with two (the suite runs both). Per-realm quotas are shared by the workers.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "client/turn_client.h"
#include "echo_peer.h"
#include "ferry/auth/long_term_key.h"
#include "ferry/stun/attributes.h"
#include "ferry/stun/message.h"
#include "ferry/stun/turn_attributes.h"
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

// An EVEN-PORT reservation counts in the realm of the Allocate that made it. On 8064314 it was
// counted for the user's name in the configured realm: erin of realm B holding a reserved port
// took the unit of user-quota=1 of erin of the configured realm (another user), and escaped
// realm B's own user-quota (2 here: the allocation and its reserved port).
TEST_F(RealmsTest, EvenPortReservationCountsInItsRealm) {
  admin_ok({"-a", "-u", "erin", "-r", "b.example", "-p", "erin-b"});
  admin_ok({"-g", "-r", "b.example", "--user-quota", "2", "--total-quota", "3"});
  start("user-quota=1\n");
  auto erin_b = from(kOriginB);
  ASSERT_TRUE(erin_b.allocate("erin", "erin-b", 600).ok) << server_->log();  // realm and nonce
  ASSERT_TRUE(erin_b.refresh(0).ok);
  ASSERT_EQ(erin_b.realm(), "b.example");
  // Allocate with EVEN-PORT R, its allocation deleted at once: only the reservation stays.
  std::vector<std::uint8_t> buf(1500);
  auto build = [&](stun::Method method, auto add) {
    stun::TransactionId tid{};
    for (auto& b : tid) b = static_cast<std::uint8_t>(std::rand());
    stun::MessageBuilder b(MutableBytes(buf.data(), buf.size()), method, stun::Class::kRequest,
                           tid);
    add(b);
    b.add(stun::attr::Origin{kOriginB});
    b.add(stun::attr::Username{"erin"});
    b.add(stun::attr::Realm{erin_b.realm()});
    b.add(stun::attr::Nonce{erin_b.nonce()});
    auto key = auth::md5_key("erin", erin_b.realm(), "erin-b");
    b.add_message_integrity(Bytes(key.data(), key.size()));
    return b.finish();
  };
  auto exchange = [&](Bytes req) {
    EXPECT_TRUE(erin_b.socket().send(req));
    auto answer = erin_b.socket().receive(Millis(2000));
    EXPECT_TRUE(answer);
    return answer ? *answer : std::vector<std::uint8_t>{};
  };
  auto answer = exchange(build(stun::Method::kAllocate, [](stun::MessageBuilder& r) {
    r.add(stun::attr::RequestedTransport{stun::attr::RequestedTransport::kUdp});
    r.add(stun::attr::EvenPort{true});
  }));
  auto reply = stun::MessageView::parse(Bytes(answer.data(), answer.size()));
  ASSERT_TRUE(reply);
  ASSERT_TRUE(reply->has<stun::attr::ReservationToken>()) << server_->log();
  exchange(build(stun::Method::kRefresh,
                 [](stun::MessageBuilder& r) { r.add(stun::attr::Lifetime{0}); }));
  // erin of the configured realm is another user: her one allocation is hers to make.
  auto erin = client(Transport::kUdp);
  auto mine = erin.allocate("erin", "erin-pw", 600);
  EXPECT_TRUE(mine.ok) << mine.error_code << " " << mine.reason;
  EXPECT_EQ(erin.realm(), "example.org");
  // Realm B's user-quota (2) counts the held port: one more allocation, not two.
  auto again = from(kOriginB);
  EXPECT_TRUE(again.allocate("erin", "erin-b", 600).ok);
  EXPECT_EQ(from(kOriginB).allocate("erin", "erin-b", 600).error_code, 486);
}

}  // namespace
}  // namespace ferry::testing
