// The data path (RFC 8656 §10-12): Send indications and ChannelData from the client, peer
// datagrams back as ChannelData or Data indications, permission expiry and TCP close.
#include <gtest/gtest.h>

#include <vector>

#include "core_harness.h"
#include "ferry/stun/attributes.h"
#include "ferry/stun/message.h"
#include "ferry/turn/dispatcher.h"
#include "turn_client_fake.h"

namespace ferry::turn {
namespace {

namespace attr = stun::attr;
using testing::addr;
using testing::Reply;
using testing::TurnClient;

const std::vector<std::uint8_t> kPayload = {'h', 'e', 'l', 'l', 'o'};

class DataPathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::enable_turn(h);
    h.start();
  }
  void allocate(TurnClient& c) {
    Reply r = c.allocate();
    ASSERT_TRUE(r.success()) << r.error();
    h.egress.clear();
  }
  void from_peer(const Address& from, RelayId relay = 0) {
    h.server->on_peer_packet(relay, from, testing::bytes_of(kPayload), h.now);
  }
  const Counters& counters() const { return h.server->counters(); }

  testing::CoreHarness h;
  TurnClient alice{h, testing::udp_tuple("198.51.100.7:40000")};
  const Address peer = addr("203.0.113.5:7000");
};

// --- Client to peer ---

TEST_F(DataPathTest, SendIndicationReachesAPermittedPeerWithoutAResponse) {
  allocate(alice);
  ASSERT_TRUE(alice.create_permission({peer}).success());
  h.egress.clear();
  EXPECT_EQ(alice.send_indication(peer, testing::bytes_of(kPayload)), 0u);
  ASSERT_EQ(h.egress.peer.size(), 1u);
  EXPECT_EQ(h.egress.peer[0].relay, 0u);
  EXPECT_EQ(h.egress.peer[0].peer, peer);
  EXPECT_EQ(h.egress.peer[0].data, kPayload);
  EXPECT_TRUE(h.egress.client.empty());
  EXPECT_EQ(counters().relayed_to_peer.get(), 1u);

  Address other_port = peer;  // the permission is for the IP address, any port (§9)
  other_port.set_port(9999);
  alice.send_indication(other_port, testing::bytes_of(kPayload));
  ASSERT_EQ(h.egress.peer.size(), 2u);
  EXPECT_EQ(h.egress.peer[1].peer, other_port);
}

TEST_F(DataPathTest, SendIndicationWithoutPermissionIsDropped) {
  allocate(alice);
  const std::uint64_t errors = counters().error_responses_total();  // the 401 challenge
  EXPECT_EQ(alice.send_indication(peer, testing::bytes_of(kPayload)), 0u);
  EXPECT_TRUE(h.egress.peer.empty());
  EXPECT_TRUE(h.egress.client.empty());
  EXPECT_EQ(counters().dropped_no_permission.get(), 1u);
  EXPECT_EQ(counters().error_responses_total(), errors);
}

TEST_F(DataPathTest, SendIndicationToAForbiddenPeerIsDropped) {
  allocate(alice);
  for (const char* bad : {"127.0.0.1:7000", "169.254.169.254:80", "10.0.0.1:7000"}) {
    EXPECT_EQ(alice.send_indication(addr(bad), testing::bytes_of(kPayload)), 0u) << bad;
  }
  EXPECT_TRUE(h.egress.peer.empty());
  EXPECT_TRUE(h.egress.client.empty());
  EXPECT_EQ(counters().dropped_no_permission.get(), 3u);
}

TEST_F(DataPathTest, SendIndicationWithoutAllocationIsDroppedSilently) {
  TurnClient stranger{h, testing::udp_tuple("198.51.100.8:40000")};
  EXPECT_EQ(stranger.send_indication(peer, testing::bytes_of(kPayload)), 0u);
  EXPECT_TRUE(h.egress.peer.empty());
  EXPECT_TRUE(h.egress.client.empty());
}

TEST_F(DataPathTest, ChannelDataOnABoundChannelReachesThePeer) {
  allocate(alice);
  ASSERT_TRUE(alice.channel_bind(0x4000, peer).success());
  EXPECT_EQ(alice.channel_data(0x4000, testing::bytes_of(kPayload)), 0u);
  ASSERT_EQ(h.egress.peer.size(), 1u);
  EXPECT_EQ(h.egress.peer[0].relay, 0u);
  EXPECT_EQ(h.egress.peer[0].peer, peer);
  EXPECT_EQ(h.egress.peer[0].data, kPayload);
  EXPECT_EQ(counters().relayed_to_peer.get(), 1u);
}

TEST_F(DataPathTest, ManyChannelsAndPermissionsEachRouteToTheirOwnPeer) {
  // Past the short-list scan (8), lookups go through the allocation's hash indexes: every
  // channel must still reach its peer and come back with its number, also after some
  // permissions expire and the indexes are rebuilt.
  allocate(alice);
  std::vector<Address> peers;
  for (int i = 0; i < 100; ++i) {
    peers.push_back(addr(("203.0." + std::to_string(113 + i / 200) + "." +
                          std::to_string(1 + i % 200) + ":" + std::to_string(7000 + i))
                             .c_str()));
    ASSERT_TRUE(alice.channel_bind(static_cast<std::uint16_t>(0x4000 + i), peers.back()).success())
        << i;
  }
  // 20 permissions without channels, refreshed later than the channels' ones.
  h.advance(Seconds(100));
  std::vector<Address> extra;
  for (int i = 0; i < 20; ++i)
    extra.push_back(addr(("198.51.100." + std::to_string(i + 101) + ":9").c_str()));
  // Two requests: one CreatePermission carries at most 16 peers (a bound on the work of one).
  ASSERT_TRUE(alice.create_permission({extra.begin(), extra.begin() + 10}).success());
  ASSERT_TRUE(alice.create_permission({extra.begin() + 10, extra.end()}).success());
  h.egress.clear();
  for (int i = 0; i < 100; ++i) {
    alice.channel_data(static_cast<std::uint16_t>(0x4000 + i), testing::bytes_of(kPayload));
    ASSERT_EQ(h.egress.peer.size(), static_cast<std::size_t>(i + 1));
    EXPECT_EQ(h.egress.peer.back().peer, peers[static_cast<std::size_t>(i)]);
    from_peer(peers[static_cast<std::size_t>(i)]);
    ASSERT_EQ(h.egress.client.size(), static_cast<std::size_t>(i + 1));
    const auto& got = h.egress.client.back().data;
    ASSERT_GE(got.size(), 4u);
    EXPECT_EQ(got[0] << 8 | got[1], 0x4000 + i);  // ChannelData on the peer's own channel
  }
  // The channels' permissions (installed at t = 0) expire at 300 s, the extra ones at 400 s.
  h.advance(Seconds(250));
  h.server->expire(h.now);
  h.egress.clear();
  from_peer(peers[42]);
  EXPECT_TRUE(h.egress.client.empty());  // its permission is gone
  from_peer(extra[7]);
  ASSERT_EQ(h.egress.client.size(), 1u);  // still permitted, as a Data indication
  EXPECT_EQ(h.egress.client[0].data[0], 0x00);
}

TEST_F(DataPathTest, ChannelDataOnAnUnboundChannelIsDropped) {
  allocate(alice);
  ASSERT_TRUE(alice.channel_bind(0x4000, peer).success());
  EXPECT_EQ(alice.channel_data(0x4001, testing::bytes_of(kPayload)), 0u);
  EXPECT_TRUE(h.egress.peer.empty());
  EXPECT_EQ(counters().dropped_no_permission.get(), 1u);
}

TEST_F(DataPathTest, ChannelDataOverTcpIsPaddedAndDelivered) {
  TurnClient tcp{h, testing::tcp_tuple("198.51.100.7:40001")};
  allocate(tcp);
  ASSERT_TRUE(tcp.channel_bind(0x4000, peer).success());
  tcp.channel_data(0x4000, testing::bytes_of(kPayload));  // 9 bytes padded to 12
  ASSERT_EQ(h.egress.peer.size(), 1u);
  EXPECT_EQ(h.egress.peer[0].data, kPayload);
}

// --- Peer to client ---

TEST_F(DataPathTest, PeerDataOnAChannelComesAsChannelData) {
  allocate(alice);
  ASSERT_TRUE(alice.channel_bind(0x4000, peer).success());
  h.egress.clear();
  from_peer(peer);
  ASSERT_EQ(h.egress.client.size(), 1u);
  EXPECT_EQ(h.egress.client[0].tuple, alice.tuple());
  const std::vector<std::uint8_t> want = {0x40, 0x00, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o'};
  EXPECT_EQ(h.egress.client[0].data, want);
  EXPECT_EQ(counters().relayed_to_client.get(), 1u);
}

TEST_F(DataPathTest, PeerDataOnAChannelOverTcpIsPaddedToFour) {
  TurnClient tcp{h, testing::tcp_tuple("198.51.100.7:40001")};
  allocate(tcp);
  ASSERT_TRUE(tcp.channel_bind(0x4ABC, peer).success());
  h.egress.clear();
  from_peer(peer);
  ASSERT_EQ(h.egress.client.size(), 1u);
  const std::vector<std::uint8_t> want = {0x4A, 0xBC, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o', 0, 0, 0};
  EXPECT_EQ(h.egress.client[0].data, want);
}

TEST_F(DataPathTest, PeerDataWithoutAChannelComesAsADataIndication) {
  allocate(alice);
  ASSERT_TRUE(alice.create_permission({peer}).success());
  h.egress.clear();
  from_peer(peer);
  ASSERT_EQ(h.egress.client.size(), 1u);
  EXPECT_EQ(h.egress.client[0].tuple, alice.tuple());
  Reply r(h.egress.client[0].data);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.msg().is(stun::Method::kData, stun::Class::kIndication));
  ASSERT_TRUE(r.get<attr::XorPeerAddress>());
  EXPECT_EQ(r.get<attr::XorPeerAddress>()->address, peer);
  ASSERT_TRUE(r.get<attr::Data>());
  EXPECT_EQ(std::vector<std::uint8_t>(r.get<attr::Data>()->value.begin(),
                                      r.get<attr::Data>()->value.end()),
            kPayload);
  EXPECT_FALSE(r.has_integrity());
}

TEST_F(DataPathTest, PeerOnAnotherPortThanTheChannelGetsADataIndication) {
  allocate(alice);
  ASSERT_TRUE(alice.channel_bind(0x4000, peer).success());
  h.egress.clear();
  Address other_port = peer;
  other_port.set_port(7001);
  from_peer(other_port);
  ASSERT_EQ(h.egress.client.size(), 1u);
  Reply r(h.egress.client[0].data);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.get<attr::XorPeerAddress>()->address, other_port);
}

TEST_F(DataPathTest, PeerWithoutPermissionIsDropped) {
  allocate(alice);
  ASSERT_TRUE(alice.create_permission({peer}).success());
  h.egress.clear();
  from_peer(addr("203.0.113.6:7000"));
  EXPECT_TRUE(h.egress.client.empty());
  EXPECT_EQ(counters().dropped_no_permission.get(), 1u);
  from_peer(peer, 7);  // a relay no allocation owns
  EXPECT_TRUE(h.egress.client.empty());
}

// --- Expiry and close ---

TEST_F(DataPathTest, PermissionsExpireAfterTheirLifetime) {
  allocate(alice);
  ASSERT_TRUE(alice.create_permission({peer}).success());
  h.egress.clear();
  h.advance(h.settings.permission_lifetime - Seconds(1));
  h.server->expire(h.now);
  from_peer(peer);
  EXPECT_EQ(h.egress.client.size(), 1u);
  alice.send_indication(peer, testing::bytes_of(kPayload));
  EXPECT_EQ(h.egress.peer.size(), 1u);

  h.advance(Seconds(1));
  h.server->expire(h.now);
  h.egress.clear();
  from_peer(peer);
  alice.send_indication(peer, testing::bytes_of(kPayload));
  EXPECT_TRUE(h.egress.client.empty());
  EXPECT_TRUE(h.egress.peer.empty());
  EXPECT_EQ(counters().dropped_no_permission.get(), 2u);
  EXPECT_EQ(h.server->allocation_count(), 1u);  // the allocation lives on (600 s)
}

TEST_F(DataPathTest, ChannelsExpireAfterTheirLifetime) {
  allocate(alice);
  ASSERT_TRUE(alice.channel_bind(0x4000, peer).success());
  ASSERT_TRUE(alice.refresh(1200).success());
  for (int i = 0; i < 2; ++i) {  // keep the permission (300 s) alive past the channel (600 s)
    h.advance(Seconds(250));
    ASSERT_TRUE(alice.create_permission({peer}).success());
  }
  h.advance(Seconds(99));  // 599 s after the bind
  h.server->expire(h.now);
  h.egress.clear();
  alice.channel_data(0x4000, testing::bytes_of(kPayload));
  EXPECT_EQ(h.egress.peer.size(), 1u);

  h.advance(Seconds(1));
  h.server->expire(h.now);
  h.egress.clear();
  alice.channel_data(0x4000, testing::bytes_of(kPayload));
  EXPECT_TRUE(h.egress.peer.empty());
  from_peer(peer);  // the permission still holds: a Data indication, not ChannelData
  ASSERT_EQ(h.egress.client.size(), 1u);
  Reply r(h.egress.client[0].data);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.msg().is(stun::Method::kData, stun::Class::kIndication));
}

TEST_F(DataPathTest, TcpCloseEndsTheAllocationAtOnce) {
  TurnClient tcp{h, testing::tcp_tuple("198.51.100.7:40001")};
  allocate(tcp);
  allocate(alice);
  ASSERT_TRUE(tcp.create_permission({peer}).success());
  ASSERT_EQ(h.server->allocation_count(), 2u);
  h.server->on_client_closed(tcp.tuple());
  EXPECT_EQ(h.server->allocation_count(), 1u);
  EXPECT_FALSE(h.relays.open_ids.at(0));
  EXPECT_TRUE(h.relays.open_ids.at(1));
  EXPECT_EQ(h.quotas.total(), 1u);
  EXPECT_EQ(counters().allocations_ended_total(), 1u);
  h.egress.clear();
  from_peer(peer, 0);  // the closed allocation's relay is gone
  EXPECT_TRUE(h.egress.client.empty());
  EXPECT_EQ(tcp.refresh(600).error(), 437);
}

}  // namespace
}  // namespace ferry::turn
