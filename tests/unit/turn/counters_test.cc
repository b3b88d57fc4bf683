// What the core counts for /metrics: every counter here is one an operator reads on a
// dashboard, so each test makes the core do the thing and checks the count moved (and only
// that one).
#include <gtest/gtest.h>

#include <vector>

#include "core_harness.h"
#include "ferry/turn/dispatcher.h"
#include "turn_client_fake.h"

namespace ferry::turn {
namespace {

using testing::addr;
using testing::TurnClient;

const std::vector<std::uint8_t> kPayload = {'m', 'e', 'd', 'i', 'a', '!', '!'};

class CountersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::enable_turn(h);
    h.start();
  }
  const Counters& c() const { return h.server->counters(); }

  testing::CoreHarness h;
  TurnClient alice{h, testing::udp_tuple("198.51.100.7:40000")};
  const Address peer = addr("203.0.113.5:7000");
};

TEST_F(CountersTest, AuthFailuresByReason) {
  h.settings.nonce_lifetime = Seconds(60);  // shorter than the allocation's 600 s
  h.start();
  ASSERT_EQ(alice.allocate().error(), 0);  // 401 challenge, then success
  EXPECT_EQ(c().auth_challenges.get(), 1u);
  EXPECT_EQ(c().errors_with_code(401), 1u);

  TurnClient wrong{h, testing::udp_tuple("198.51.100.8:40000"), "alice", "not-the-password"};
  EXPECT_EQ(wrong.allocate().error(), 401);
  EXPECT_EQ(c().auth_bad_integrity.get(), 1u);
  EXPECT_EQ(c().auth_unknown_user.get(), 0u);

  TurnClient stranger{h, testing::udp_tuple("198.51.100.9:40000"), "mallory", "secret"};
  EXPECT_EQ(stranger.allocate().error(), 401);
  EXPECT_EQ(c().auth_unknown_user.get(), 1u);
  EXPECT_EQ(c().auth_bad_integrity.get(), 1u);

  // An expired nonce: 438 (the fake client retries once with the fresh one, and succeeds).
  h.advance(Seconds(61));
  EXPECT_TRUE(alice.refresh(600).success());
  EXPECT_EQ(c().auth_stale_nonce.get(), 1u);
  EXPECT_EQ(c().errors_with_code(438), 1u);

  // Another user on alice's 5-tuple: 441.
  alice.set_user("bob");
  alice.set_password("hunter2");
  EXPECT_EQ(alice.refresh(600).error(), 441);
  EXPECT_EQ(c().auth_wrong_user.get(), 1u);
  EXPECT_EQ(c().errors_with_code(441), 1u);
  EXPECT_EQ(c().error_responses_total(),
            c().errors_with_code(401) + c().errors_with_code(438) + c().errors_with_code(441));
}

TEST_F(CountersTest, AllocationsByTransportAndFamily) {
  ASSERT_TRUE(alice.allocate().success());
  TurnClient tcp{h, testing::tcp_tuple("198.51.100.7:40001")};
  ASSERT_TRUE(tcp.allocate().success());
  EXPECT_EQ(c().allocations_created[allocation_slot(Transport::kUdp, false)].get(), 1u);
  EXPECT_EQ(c().allocations_created[allocation_slot(Transport::kTcp, false)].get(), 1u);
  EXPECT_EQ(c().allocations_created_total(), 2u);

  EXPECT_TRUE(alice.refresh(0).success());
  EXPECT_EQ(c().allocations_ended[allocation_slot(Transport::kUdp, false)].get(), 1u);
  h.server->on_client_closed(tcp.tuple());
  EXPECT_EQ(c().allocations_ended[allocation_slot(Transport::kTcp, false)].get(), 1u);
  EXPECT_EQ(c().allocations_ended_total(), 2u);
}

TEST_F(CountersTest, PermissionsAndChannelsCreatedAndEnded) {
  ASSERT_TRUE(alice.allocate().success());
  ASSERT_TRUE(alice.create_permission({peer, addr("203.0.113.6:1")}).success());
  ASSERT_TRUE(alice.create_permission({peer}).success());  // a refresh, not a new one
  EXPECT_EQ(c().permissions_created.get(), 2u);
  ASSERT_TRUE(alice.channel_bind(0x4000, addr("203.0.113.7:9")).success());
  EXPECT_EQ(c().channels_created.get(), 1u);
  EXPECT_EQ(c().permissions_created.get(), 3u);  // the channel's peer got one too

  // Permissions last 300 s (RFC 8656 §9); keep the allocation alive past that.
  h.advance(Seconds(301));
  h.server->expire(h.now);
  EXPECT_EQ(c().permissions_ended.get(), 3u);
  EXPECT_EQ(c().channels_ended.get(), 0u);  // channels last 600 s

  // Whatever an allocation still holds ends with it.
  EXPECT_TRUE(alice.refresh(0).success());
  EXPECT_EQ(c().channels_ended.get(), 1u);
  EXPECT_EQ(c().permissions_ended.get(), c().permissions_created.get());
}

TEST_F(CountersTest, RelayedPacketsAndBytesBothWays) {
  ASSERT_TRUE(alice.allocate().success());
  ASSERT_TRUE(alice.create_permission({peer}).success());
  alice.send_indication(peer, testing::bytes_of(kPayload));
  EXPECT_EQ(c().relayed_to_peer.get(), 1u);
  EXPECT_EQ(c().relayed_bytes_to_peer.get(), kPayload.size());  // payload, not the indication

  h.server->on_peer_packet(0, peer, testing::bytes_of(kPayload), h.now);
  EXPECT_EQ(c().relayed_to_client.get(), 1u);
  EXPECT_EQ(c().relayed_bytes_to_client.get(), kPayload.size());

  h.server->on_peer_packet(0, addr("203.0.113.99:1"), testing::bytes_of(kPayload), h.now);
  EXPECT_EQ(c().dropped_no_permission.get(), 1u);
  EXPECT_EQ(c().relayed_bytes_to_client.get(), kPayload.size());
}

TEST(ErrorCodeSlot, KnownCodesHaveTheirOwnSlotOthersShareTheLast) {
  EXPECT_EQ(error_code_slot(300), 0u);  // the lowest code first
  EXPECT_EQ(error_code_slot(400), 1u);
  EXPECT_EQ(error_code_slot(508), kErrorCodes.size() - 1);
  EXPECT_EQ(error_code_slot(500), kErrorCodes.size());
}

}  // namespace
}  // namespace ferry::turn
