// Username enumeration by timing (issue 16 item 9; CONFORMANCE.md "Secure by default"): an
// unknown USERNAME must cost the server the same work as a known one with a wrong password.
// Nothing is timed: the test counts the MESSAGE-INTEGRITY HMACs the core computes
// (stun::integrity_checks_on_this_thread()), which is the work the old code skipped.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>

#include "core_harness.h"
#include "ferry/auth/userdb_store.h"
#include "ferry/stun/attributes.h"
#include "ferry/stun/message.h"
#include "ferry/turn/dispatcher.h"
#include "turn_client_fake.h"

namespace ferry::turn {
namespace {

using testing::TurnClient;

class AuthTimingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::enable_turn(h);
    h.start();
  }
  // The authenticated Allocate alone (the 401 challenge that gives the NONCE comes first, and
  // carries no MESSAGE-INTEGRITY): its error code and the HMACs the server computed for it.
  struct Outcome {
    std::uint16_t error;
    std::uint64_t hmacs;
  };
  static Outcome signed_allocate(TurnClient& c) {
    EXPECT_EQ(c.challenge().error(), 401);
    const std::uint64_t before = stun::integrity_checks_on_this_thread();
    const std::uint16_t error = c.allocate().error();
    return {error, stun::integrity_checks_on_this_thread() - before};
  }

  testing::CoreHarness h;
};

TEST_F(AuthTimingTest, UnknownUserCostsTheSameHmacAsAWrongPassword) {
  TurnClient wrong{h, testing::udp_tuple("198.51.100.8:40000"), "alice", "not-the-password"};
  TurnClient stranger{h, testing::udp_tuple("198.51.100.9:40000"), "mallory", "secret"};
  TurnClient alice{h, testing::udp_tuple("198.51.100.7:40000")};

  const Outcome bad_password = signed_allocate(wrong);
  const Outcome unknown_user = signed_allocate(stranger);
  const Outcome success = signed_allocate(alice);

  EXPECT_EQ(bad_password.error, 401);
  EXPECT_EQ(unknown_user.error, 401);
  EXPECT_EQ(success.error, 0);
  EXPECT_EQ(bad_password.hmacs, 1u);
  EXPECT_EQ(unknown_user.hmacs, 1u);  // 0 before the fix: the unknown name skipped the HMAC
  EXPECT_EQ(success.hmacs, 1u);
  // The counters still tell the operator which failure it was.
  EXPECT_EQ(h.server->counters().auth_bad_integrity.get(), 1u);
  EXPECT_EQ(h.server->counters().auth_unknown_user.get(), 1u);
}

// A request that verifies under the dummy key an unknown user's HMAC is keyed with (any fixed
// key will do; auth.cc uses all zeros) is refused all the same: the dummy check only spends
// the time, it never authenticates.
TEST_F(AuthTimingTest, SigningWithTheDummyKeyDoesNotAuthenticate) {
  TurnClient stranger{h, testing::udp_tuple("198.51.100.9:40000"), "mallory", "secret"};
  ASSERT_EQ(stranger.challenge().error(), 401);
  std::array<std::uint8_t, 512> buf{};
  stun::MessageBuilder b(buf, stun::Method::kAllocate, stun::Class::kRequest,
                         stun::TransactionId{0x7A});
  b.add(stun::attr::RequestedTransport{stun::attr::RequestedTransport::kUdp});
  b.add(stun::attr::Username{"mallory"});
  b.add(stun::attr::Realm{stranger.realm()});
  b.add(stun::attr::Nonce{stranger.nonce()});
  const std::array<std::uint8_t, 16> zero_key{};
  b.add_message_integrity(Bytes(zero_key.data(), zero_key.size()));
  h.egress.clear();
  h.server->on_client_packet(stranger.tuple(), b.finish(), h.now);
  ASSERT_EQ(h.egress.client.size(), 1u);
  testing::Reply r(h.egress.client[0].data);
  EXPECT_EQ(r.error(), 401);
  EXPECT_EQ(h.server->allocation_count(), 0u);
  EXPECT_EQ(h.server->counters().auth_unknown_user.get(), 1u);
}

// The same with a user database (userdb): a name the database does not hold, a database
// user's wrong password and its right one each cost one HMAC, and so does a database user once
// the outage bound has passed (refused like an unknown name). The snapshot lookup is a hash
// lookup whatever the name; no database I/O happens on this path.
class MemorySource final : public auth::UserDbSource {
 public:
  std::string describe() const override { return "memory"; }
  Expected<std::string> version() override {
    if (down) return fail("down");
    return std::string("1");
  }
  Expected<void> load(auth::SnapshotBuilder& into) override {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string hex;
    for (auto b : auth::md5_key("dave", "example.org", "dbpass")) {
      hex += kDigits[b >> 4];
      hex += kDigits[b & 15];
    }
    return into.add_user("example.org", "dave", hex);
  }
  bool down = false;
};

TEST_F(AuthTimingTest, DatabaseUsersCostTheSameHmacAsUnknownOnes) {
  auto source = std::make_unique<MemorySource>();
  MemorySource* src = source.get();
  auth::UserDbStore store(std::move(source), {.realm = "example.org"});
  NullLogger log;
  store.refresh(h.wall.now, log);
  h.credentials = &store;
  h.start();
  TurnClient wrong{h, testing::udp_tuple("198.51.100.8:40000"), "dave", "not-it"};
  TurnClient stranger{h, testing::udp_tuple("198.51.100.9:40000"), "mallory", "dbpass"};
  TurnClient dave{h, testing::udp_tuple("198.51.100.7:40000"), "dave", "dbpass"};
  const Outcome bad_password = signed_allocate(wrong);
  const Outcome unknown_user = signed_allocate(stranger);
  const Outcome success = signed_allocate(dave);
  EXPECT_EQ(bad_password.error, 401);
  EXPECT_EQ(unknown_user.error, 401);
  EXPECT_EQ(success.error, 0);
  EXPECT_EQ(bad_password.hmacs, 1u);
  EXPECT_EQ(unknown_user.hmacs, 1u);
  EXPECT_EQ(success.hmacs, 1u);

  src->down = true;
  h.wall.now += 31;  // past the outage bound: fail closed
  store.refresh(h.wall.now, log);
  TurnClient later{h, testing::udp_tuple("198.51.100.10:40000"), "dave", "dbpass"};
  const Outcome closed = signed_allocate(later);
  EXPECT_EQ(closed.error, 401);
  EXPECT_EQ(closed.hmacs, 1u);
}

}  // namespace
}  // namespace ferry::turn
