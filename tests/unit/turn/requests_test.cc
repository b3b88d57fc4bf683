// Refresh (RFC 8656 §7.3-7.5), CreatePermission (§9), ChannelBind (§12) and expiry with the
// fake clock, through the core with fakes.
#include <gtest/gtest.h>

#include <vector>

#include "core_harness.h"
#include "ferry/auth/long_term_key.h"
#include "ferry/stun/attributes.h"
#include "ferry/turn/dispatcher.h"
#include "ferry/turn/peer_policy.h"
#include "turn_client_fake.h"

namespace ferry::turn {
namespace {

namespace attr = stun::attr;
using stun::Method;
using testing::addr;
using testing::Reply;
using testing::TurnClient;

const auth::Md5Key kAliceKey = auth::md5_key("alice", "example.org", "secret");
const std::uint8_t kPing[] = {'p', 'i', 'n', 'g'};

class RequestsTest : public ::testing::Test {
 protected:
  void SetUp() override { testing::enable_turn(h); }
  void start_and_allocate(std::uint32_t lifetime = 600) {
    h.start();
    Reply r = alice.allocate([lifetime](stun::MessageBuilder& b) {
      TurnClient::udp()(b);
      b.add(attr::Lifetime{lifetime});
    });
    ASSERT_TRUE(r.success()) << r.error();
  }
  // Whether a datagram from `peer` to alice's relay reaches alice.
  bool peer_reaches_client(const Address& peer) {
    const std::size_t before = h.egress.client.size();
    h.server->on_peer_packet(0, peer, kPing, h.now);
    return h.egress.client.size() == before + 1;
  }

  testing::CoreHarness h;
  TurnClient alice{h, testing::udp_tuple("198.51.100.7:40000")};
  const Address peer_a = addr("203.0.113.5:7000");
  const Address peer_b = addr("203.0.113.6:7000");
  const Address peer_c = addr("198.51.100.99:3");
};

// --- Refresh ---

TEST_F(RequestsTest, RefreshSetsANewLifetime) {
  start_and_allocate();
  h.advance(Seconds(500));
  Reply r = alice.refresh(1200);
  ASSERT_TRUE(r.success()) << r.error();
  EXPECT_EQ(r.get<attr::Lifetime>()->seconds, 1200u);
  EXPECT_TRUE(r.integrity_ok(kAliceKey));
  h.advance(Seconds(1199));
  h.server->expire(h.now);
  EXPECT_EQ(h.server->allocation_count(), 1u);  // would have ended at 600 without the refresh
  h.advance(Seconds(1));
  h.server->expire(h.now);
  EXPECT_EQ(h.server->allocation_count(), 0u);
}

TEST_F(RequestsTest, ARefreshToAShorterLifetimeEndsTheAllocationEarlier) {
  start_and_allocate(3600);
  Reply r = alice.refresh(60);  // the minimum a refresh may ask for is raised to 600 s
  ASSERT_TRUE(r.success()) << r.error();
  const auto granted = Seconds(r.get<attr::Lifetime>()->seconds);
  ASSERT_LT(granted, Seconds(3600));
  h.advance(granted - Seconds(1));
  h.server->expire(h.now);
  EXPECT_EQ(h.server->allocation_count(), 1u);
  h.advance(Seconds(1));
  h.server->expire(h.now);  // not only at the first, longer deadline
  EXPECT_EQ(h.server->allocation_count(), 0u);
}

TEST_F(RequestsTest, EachOfManyAllocationsEndsAtItsOwnDeadline) {
  // Allocations made 10 s apart: each ends at its own deadline, one deleted early is gone at
  // once, and the others stay (the timer wheel and the flat table under churn).
  start_and_allocate(600);
  std::vector<std::unique_ptr<TurnClient>> others;
  for (int i = 0; i < 40; ++i) {
    h.advance(Seconds(10));
    others.push_back(std::make_unique<TurnClient>(
        h, testing::udp_tuple(("198.51.100." + std::to_string(10 + i) + ":4000").c_str())));
    ASSERT_TRUE(others.back()->allocate().success());
  }
  ASSERT_TRUE(others[20]->refresh(0).success());  // deleted now: its timer entry lapses
  EXPECT_EQ(h.server->allocation_count(), 40u);
  // alice's allocation (t = 0) ends at 600, others[i] at 610 + 10 i.
  h.advance(Seconds(200));  // t = 600
  h.server->expire(h.now);
  EXPECT_EQ(h.server->allocation_count(), 39u);
  std::size_t expected = 39;
  for (int i = 0; i < 40; ++i) {
    h.advance(Seconds(10));
    h.server->expire(h.now);
    if (i != 20) --expected;
    EXPECT_EQ(h.server->allocation_count(), expected) << "at t = " << 610 + 10 * i;
  }
}

TEST_F(RequestsTest, RefreshWithLifetimeZeroDeletesAtOnce) {
  start_and_allocate();
  Reply r = alice.refresh(0);
  ASSERT_TRUE(r.success()) << r.error();
  EXPECT_EQ(r.get<attr::Lifetime>()->seconds, 0u);
  EXPECT_TRUE(r.integrity_ok(kAliceKey));
  EXPECT_EQ(h.server->allocation_count(), 0u);
  EXPECT_EQ(h.relays.open_count, 0u);
  EXPECT_FALSE(h.relays.open_ids.at(0));
  EXPECT_EQ(h.quotas.total(), 0u);
  EXPECT_EQ(h.server->counters().allocations_ended_total(), 1u);
  EXPECT_EQ(alice.refresh(600).error(), 437);
}

TEST_F(RequestsTest, RefreshWithoutAllocationIs437) {
  h.start();
  alice.challenge();
  Reply r = alice.refresh(600);
  EXPECT_EQ(r.error(), 437);
  EXPECT_TRUE(r.integrity_ok(kAliceKey));
}

TEST_F(RequestsTest, AnotherUsersCredentialsOnTheFiveTupleGet441) {
  start_and_allocate();
  TurnClient bob{h, alice.tuple(), "bob", "hunter2"};
  bob.challenge();
  for (const Reply& r :
       {bob.refresh(0), bob.create_permission({peer_a}), bob.channel_bind(0x4000, peer_a)}) {
    EXPECT_EQ(r.error(), 441);
    EXPECT_TRUE(r.integrity_ok(auth::md5_key("bob", "example.org", "hunter2")));
  }
  EXPECT_EQ(h.server->allocation_count(), 1u);
  EXPECT_FALSE(peer_reaches_client(peer_a));
}

TEST_F(RequestsTest, RefreshWithAnotherAddressFamilyIs443) {
  start_and_allocate();
  Reply r = alice.request(Method::kRefresh, [](stun::MessageBuilder& b) {
    b.add(attr::RequestedAddressFamily{Family::kV6});
  });
  EXPECT_EQ(r.error(), 443);
  EXPECT_TRUE(r.integrity_ok(kAliceKey));
  EXPECT_EQ(h.server->allocation_count(), 1u);
}

// --- Expiry ---

TEST_F(RequestsTest, AllocationEndsAfterItsLifetime) {
  start_and_allocate();
  h.advance(Seconds(599));
  h.server->expire(h.now);
  EXPECT_EQ(h.server->allocation_count(), 1u);
  h.advance(Seconds(1));
  h.server->expire(h.now);
  EXPECT_EQ(h.server->allocation_count(), 0u);
  EXPECT_EQ(h.relays.open_count, 0u);
  EXPECT_EQ(h.quotas.total(), 0u);
  EXPECT_EQ(h.server->counters().allocations_ended_total(), 1u);
}

TEST_F(RequestsTest, ChannelNumbersRestAfterExpiryBeforeReuse) {
  start_and_allocate(3600);
  ASSERT_TRUE(alice.channel_bind(0x4001, peer_a).success());
  h.advance(h.settings.channel_lifetime);
  h.server->expire(h.now);
  EXPECT_EQ(alice.channel_data(0x4001, kPing), 0u);
  EXPECT_TRUE(h.egress.peer.empty());  // expired: unusable
  // Resting: the number is not free for another peer, nor the peer for another number.
  EXPECT_EQ(alice.channel_bind(0x4001, peer_b).error(), 400);
  EXPECT_EQ(alice.channel_bind(0x4002, peer_a).error(), 400);
  h.advance(h.settings.channel_rest - Seconds(1));
  h.server->expire(h.now);
  EXPECT_EQ(alice.channel_bind(0x4001, peer_b).error(), 400);
  h.advance(Seconds(1));
  h.server->expire(h.now);
  EXPECT_TRUE(alice.channel_bind(0x4001, peer_b).success());
  EXPECT_TRUE(alice.channel_bind(0x4002, peer_a).success());
}

// --- CreatePermission ---

TEST_F(RequestsTest, CreatePermissionInstallsEveryPeerAddress) {
  start_and_allocate();
  Reply r = alice.create_permission({peer_a, peer_b, peer_c});
  ASSERT_TRUE(r.success()) << r.error();
  EXPECT_TRUE(r.integrity_ok(kAliceKey));
  EXPECT_TRUE(peer_reaches_client(peer_a));
  EXPECT_TRUE(peer_reaches_client(peer_b));
  EXPECT_TRUE(peer_reaches_client(peer_c));
  EXPECT_FALSE(peer_reaches_client(addr("203.0.113.7:7000")));
}

TEST_F(RequestsTest, CreatePermissionWithoutPeerIs400) {
  start_and_allocate();
  Reply r = alice.request(Method::kCreatePermission);
  EXPECT_EQ(r.error(), 400);
  EXPECT_TRUE(r.integrity_ok(kAliceKey));
}

TEST_F(RequestsTest, ForbiddenPeerIs403AndNothingIsInstalled) {
  start_and_allocate();
  for (const char* bad : {"127.0.0.1:7000", "169.254.169.254:80", "10.0.0.1:7000"}) {
    Reply r = alice.create_permission({peer_a, addr(bad)});
    EXPECT_EQ(r.error(), 403) << bad;
    EXPECT_TRUE(r.integrity_ok(kAliceKey));
  }
  EXPECT_FALSE(peer_reaches_client(peer_a));  // all or nothing

  // IPv4-embedding IPv6 forms, on an IPv6 allocation.
  TurnClient v6{h, {addr("[2001:db8:1::7]:40000"), addr("[2001:db8::1]:3478"), Transport::kUdp}};
  ASSERT_TRUE(v6.allocate().success());
  const Address good = addr("[2001:db8:2::5]:7000");
  for (const char* bad : {"[::ffff:127.0.0.1]:7000", "[64:ff9b::7f00:1]:7000"}) {
    EXPECT_EQ(v6.create_permission({good, addr(bad)}).error(), 403) << bad;
  }
  const std::size_t before = h.egress.client.size();
  h.server->on_peer_packet(1, good, kPing, h.now);
  EXPECT_EQ(h.egress.client.size(), before);
}

TEST_F(RequestsTest, LoopbackAndPrivatePeersWhenAllowed) {
  h.settings.peers.allow_loopback = true;
  h.settings.peers.allowed = {*AddressRange::parse("10.0.0.0/8")};
  start_and_allocate();
  ASSERT_TRUE(alice.create_permission({addr("127.0.0.1:7000"), addr("10.0.0.1:7000")}).success());
  EXPECT_TRUE(peer_reaches_client(addr("127.0.0.1:9")));
  EXPECT_TRUE(peer_reaches_client(addr("10.0.0.1:9")));
  EXPECT_EQ(alice.create_permission({addr("169.254.169.254:80")}).error(), 403);
}

TEST_F(RequestsTest, PeerOfAnotherFamilyIs443) {
  start_and_allocate();
  Reply r = alice.create_permission({peer_a, addr("[2001:db8::5]:7000")});
  EXPECT_EQ(r.error(), 443);
  EXPECT_TRUE(r.integrity_ok(kAliceKey));
  EXPECT_FALSE(peer_reaches_client(peer_a));
  EXPECT_EQ(alice.channel_bind(0x4000, addr("[2001:db8::5]:7000")).error(), 443);
}

TEST_F(RequestsTest, PermissionCapIs508) {
  h.settings.max_permissions = 2;
  start_and_allocate();
  ASSERT_TRUE(alice.create_permission({peer_a, peer_b}).success());
  Reply r = alice.create_permission({peer_c});
  EXPECT_EQ(r.error(), 508);
  EXPECT_TRUE(r.integrity_ok(kAliceKey));
  EXPECT_FALSE(peer_reaches_client(peer_c));
  EXPECT_TRUE(alice.create_permission({peer_a}).success());  // a refresh adds nothing
}

// --- ChannelBind ---

// RFC 8656 §12's range, with rfc8656-channel-numbers.
TEST_F(RequestsTest, ChannelNumbersOutsideTheRfc8656RangeAre400WithTheOption) {
  h.settings.max_channel_number = 0x4FFF;  // rfc8656-channel-numbers
  start_and_allocate();
  for (std::uint16_t n : {std::uint16_t{0x3FFF}, std::uint16_t{0x5000}}) {
    Reply r = alice.channel_bind(n, peer_a);
    EXPECT_EQ(r.error(), 400) << n;
    EXPECT_TRUE(r.integrity_ok(kAliceKey));
  }
  EXPECT_TRUE(alice.channel_bind(0x4000, peer_a).success());
  EXPECT_TRUE(alice.channel_bind(0x4FFF, peer_b).success());
}

// By default RFC 5766's 0x4000..0x7FFF, as coturn, pion and libwebrtc accept and clients use
// (issue 18: turnutils_uclient's channel mode got 400 for numbers above 0x4FFF).
TEST_F(RequestsTest, Rfc5766ChannelNumbersByDefault) {
  start_and_allocate();
  EXPECT_EQ(alice.channel_bind(0x3FFF, peer_a).error(), 400);
  EXPECT_TRUE(alice.channel_bind(0x7FFF, peer_a).success());
  EXPECT_EQ(alice.channel_bind(0x8000, peer_b).error(), 400);
  // ChannelData on a number above 0x4FFF is relayed too.
  const std::size_t before = h.egress.peer.size();
  alice.channel_data(0x7FFF, kPing);
  EXPECT_EQ(h.egress.peer.size(), before + 1);
}

TEST_F(RequestsTest, ChannelBindWithoutPeerOrNumberIs400) {
  start_and_allocate();
  Reply r = alice.request(Method::kChannelBind,
                          [](stun::MessageBuilder& b) { b.add(attr::ChannelNumber{0x4000}); });
  EXPECT_EQ(r.error(), 400);
  EXPECT_TRUE(r.integrity_ok(kAliceKey));
  r = alice.request(Method::kChannelBind,
                    [this](stun::MessageBuilder& b) { b.add(attr::XorPeerAddress{peer_a}); });
  EXPECT_EQ(r.error(), 400);
}

TEST_F(RequestsTest, TheSamePairAgainRefreshesTheChannel) {
  start_and_allocate(3600);
  Reply r = alice.channel_bind(0x4000, peer_a);
  ASSERT_TRUE(r.success()) << r.error();
  EXPECT_TRUE(r.integrity_ok(kAliceKey));
  // Rebinding refreshes the channel (600 s) and its permission (300 s) alike.
  for (int i = 0; i < 2; ++i) {
    h.advance(Seconds(250));
    ASSERT_TRUE(alice.channel_bind(0x4000, peer_a).success());
  }
  h.advance(Seconds(200));  // 700 s after the first bind, 200 after the last
  h.server->expire(h.now);
  EXPECT_EQ(alice.channel_data(0x4000, kPing), 0u);
  ASSERT_EQ(h.egress.peer.size(), 1u);
  EXPECT_EQ(h.egress.peer[0].peer, peer_a);
}

TEST_F(RequestsTest, ChannelBindConflictsAre400) {
  start_and_allocate();
  ASSERT_TRUE(alice.channel_bind(0x4000, peer_a).success());
  Reply r = alice.channel_bind(0x4000, peer_b);  // number bound to another peer
  EXPECT_EQ(r.error(), 400);
  EXPECT_TRUE(r.integrity_ok(kAliceKey));
  EXPECT_EQ(alice.channel_bind(0x4001, peer_a).error(), 400);  // peer bound to another number
  Address same_ip_other_port = peer_a;
  same_ip_other_port.set_port(7001);
  EXPECT_TRUE(alice.channel_bind(0x4001, same_ip_other_port).success());  // another address
}

TEST_F(RequestsTest, ChannelBindToAForbiddenPeerIs403) {
  start_and_allocate();
  Reply r = alice.channel_bind(0x4000, addr("127.0.0.1:7000"));
  EXPECT_EQ(r.error(), 403);
  EXPECT_TRUE(r.integrity_ok(kAliceKey));
  EXPECT_EQ(alice.channel_bind(0x4000, addr("169.254.169.254:80")).error(), 403);
  EXPECT_TRUE(alice.channel_bind(0x4000, peer_a).success());  // the number stayed free
}

TEST_F(RequestsTest, ChannelBindInstallsThePermission) {
  start_and_allocate();
  ASSERT_TRUE(alice.channel_bind(0x4000, peer_a).success());
  EXPECT_TRUE(peer_reaches_client(peer_a));
  Address other_port = peer_a;
  other_port.set_port(9);
  EXPECT_TRUE(peer_reaches_client(other_port));  // permissions are per IP (§9)
  EXPECT_FALSE(peer_reaches_client(peer_b));
}

}  // namespace
}  // namespace ferry::turn
