// RFC 6062 TCP allocations through the core with fakes: Allocate with REQUESTED-TRANSPORT TCP
// (§5.1), Connect (§5.2), ConnectionBind (§5.3), inbound peers and ConnectionAttempt (§5.4),
// and what ends with the allocation (§5.5). The network's side is played by FakeTcpRelays.
#include <gtest/gtest.h>

#include <vector>

#include "core_harness.h"
#include "ferry/auth/long_term_key.h"
#include "ferry/stun/attributes.h"
#include "ferry/turn/dispatcher.h"
#include "turn_client_fake.h"

namespace ferry::turn {
namespace {

namespace attr = stun::attr;
using stun::Method;
using testing::addr;
using testing::Reply;
using testing::TurnClient;

const auth::Md5Key kAliceKey = auth::md5_key("alice", "example.org", "secret");

testing::Attrs tcp_transport() {
  return [](stun::MessageBuilder& b) {
    b.add(attr::RequestedTransport{attr::RequestedTransport::kTcp});
  };
}

class TcpRelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::enable_turn(h);
    h.settings.tcp_relay = true;
    h.tcp_relays = &net;
  }
  void start_and_allocate() {
    h.start();
    Reply r = alice.allocate(tcp_transport());
    ASSERT_TRUE(r.success()) << r.error();
    relayed = r.get<attr::XorRelayedAddress>()->address;
  }
  // The last message the core sent to `t` (empty Reply when none).
  Reply last_to(const FiveTuple& t) const {
    for (auto it = h.egress.client.rbegin(); it != h.egress.client.rend(); ++it) {
      if (it->tuple == t) return Reply(it->data);
    }
    return Reply();
  }
  std::size_t sent_to(const FiveTuple& t) const {
    std::size_t n = 0;
    for (const auto& m : h.egress.client) n += m.tuple == t ? 1 : 0;
    return n;
  }
  Reply connect(const Address& to) {
    return alice.request(Method::kConnect,
                         [to](stun::MessageBuilder& b) { b.add(attr::XorPeerAddress{to}); });
  }
  // A Connect that the network completes: its CONNECTION-ID.
  ConnectionId connected(const Address& to) {
    EXPECT_FALSE(connect(to).ok());  // answered only when the connection is made
    EXPECT_FALSE(net.connects.empty());
    const ConnectionId id = net.connects.back().id;
    h.server->on_peer_connected(id, true, h.now);
    Reply r = last_to(alice.tuple());
    EXPECT_TRUE(r.success()) << r.error();
    EXPECT_TRUE(r.integrity_ok(kAliceKey));
    EXPECT_EQ(r.get<attr::ConnectionId>()->id, id);
    return id;
  }
  // A ConnectionBind on a new TCP connection, as `user`.
  Reply bind(TurnClient& on, std::optional<ConnectionId> id) {
    on.set_realm(alice.realm());
    on.set_nonce(alice.nonce());
    return on.request(Method::kConnectionBind, [id](stun::MessageBuilder& b) {
      if (id) b.add(attr::ConnectionId{*id});
    });
  }

  testing::CoreHarness h;
  testing::FakeTcpRelays net;
  TurnClient alice{h, testing::tcp_tuple("198.51.100.7:40000")};
  TurnClient data{h, testing::tcp_tuple("198.51.100.7:40001")};
  Address relayed;
  const Address peer = addr("203.0.113.5:8080");
};

// --- Allocate (§5.1) ---

TEST_F(TcpRelayTest, AllocateOverTcpListensOnTheRelayAddress) {
  start_and_allocate();
  ASSERT_EQ(net.listening.size(), 1u);
  EXPECT_EQ(relayed.ip_string(), "192.0.2.1");
  EXPECT_TRUE(alice.last().integrity_ok(kAliceKey));
}

TEST_F(TcpRelayTest, AllocateOverUdpOrDtlsIs400) {
  h.start();
  TurnClient udp{h, testing::udp_tuple("198.51.100.7:40000")};
  EXPECT_EQ(udp.allocate(tcp_transport()).error(), 400);
  // DTLS is no stream either (RFC 6062 §5.1: TCP or TLS only).
  TurnClient dtls{h,
                  FiveTuple{addr("198.51.100.7:40001"), addr("192.0.2.1:5349"), Transport::kDtls}};
  EXPECT_EQ(dtls.allocate(tcp_transport()).error(), 400);
  EXPECT_TRUE(net.listening.empty());
  EXPECT_EQ(h.relays.open_count, 0u);
}

TEST_F(TcpRelayTest, NoTcpRelayIs442) {
  h.settings.tcp_relay = false;
  h.start();
  EXPECT_EQ(alice.allocate(tcp_transport()).error(), 442);
}

TEST_F(TcpRelayTest, WithoutTheNetworkSideTcpIs442) {
  h.tcp_relays = nullptr;
  h.start();
  EXPECT_EQ(alice.allocate(tcp_transport()).error(), 442);
}

TEST_F(TcpRelayTest, NoUdpRelayRefusesUdpAllocations) {
  h.settings.udp_relay = false;
  h.start();
  EXPECT_EQ(alice.allocate().error(), 442);
  EXPECT_TRUE(alice.allocate(tcp_transport()).success());
}

TEST_F(TcpRelayTest, EvenPortAndDontFragmentAre400) {
  h.start();
  EXPECT_EQ(alice
                .allocate([](stun::MessageBuilder& b) {
                  tcp_transport()(b);
                  b.add(attr::EvenPort{false});
                })
                .error(),
            400);
  EXPECT_EQ(alice
                .allocate([](stun::MessageBuilder& b) {
                  tcp_transport()(b);
                  b.add(attr::DontFragment{});
                })
                .error(),
            400);
}

// One relayed address per TCP allocation: RFC 8656's dual allocation is for UDP relays.
TEST_F(TcpRelayTest, AdditionalAddressFamilyIs400AndABadFamily440) {
  h.start();
  EXPECT_EQ(alice
                .allocate([](stun::MessageBuilder& b) {
                  tcp_transport()(b);
                  b.add(attr::AdditionalAddressFamily{Family::kV6});
                })
                .error(),
            400);
  EXPECT_EQ(alice
                .allocate([](stun::MessageBuilder& b) {
                  tcp_transport()(b);
                  const std::uint8_t v[4] = {3, 0, 0, 0};  // neither 0x01 nor 0x02
                  b.add_raw(attr::RequestedAddressFamily::kType, Bytes(v, sizeof v));
                })
                .error(),
            440);
  EXPECT_TRUE(net.listening.empty());
  EXPECT_EQ(h.relays.open_count, 0u);
}

TEST_F(TcpRelayTest, NoTcpPortMeans508AndNothingHeld) {
  net.refuse_listen = true;
  h.start();
  EXPECT_EQ(alice.allocate(tcp_transport()).error(), 508);
  EXPECT_EQ(h.relays.open_count, 0u);  // each UDP port tried was given back
}

// --- Connect (§5.2) ---

TEST_F(TcpRelayTest, ConnectIsAnsweredWhenTheConnectionIsMade) {
  start_and_allocate();
  connected(peer);
  EXPECT_EQ(net.connects.back().peer, peer);
  EXPECT_EQ(net.connects.back().relay, net.listening.front());
  EXPECT_EQ(h.server->counters().tcp_connections_opened.get(), 1u);
}

TEST_F(TcpRelayTest, FailedConnectIs447) {
  start_and_allocate();
  EXPECT_FALSE(connect(peer).ok());
  h.server->on_peer_connected(net.connects.back().id, false, h.now);
  Reply r = last_to(alice.tuple());
  EXPECT_EQ(r.error(), 447);
  EXPECT_TRUE(r.integrity_ok(kAliceKey));
  // The peer is free again: a new Connect is tried.
  EXPECT_FALSE(connect(peer).ok());
  EXPECT_EQ(net.connects.size(), 2u);
}

TEST_F(TcpRelayTest, ConnectWithoutASocketIs447) {
  net.refuse_connect = true;
  start_and_allocate();
  EXPECT_EQ(connect(peer).error(), 447);
}

TEST_F(TcpRelayTest, SecondConnectToTheSamePeerIs446) {
  start_and_allocate();
  EXPECT_FALSE(connect(peer).ok());       // connecting
  EXPECT_EQ(connect(peer).error(), 446);  // §5.2: being processed
  h.server->on_peer_connected(net.connects.back().id, true, h.now);
  EXPECT_EQ(connect(peer).error(), 446);  // pending
  EXPECT_EQ(net.connects.size(), 1u);
  // Another port of the same IP is another peer.
  EXPECT_FALSE(connect(addr("203.0.113.5:8081")).ok());
  EXPECT_EQ(net.connects.size(), 2u);
}

TEST_F(TcpRelayTest, RetransmittedConnectMakesNoSecondConnection) {
  start_and_allocate();
  TurnClient::Options o;
  o.tid = stun::TransactionId{1, 2, 3};
  auto attrs = [this](stun::MessageBuilder& b) { b.add(attr::XorPeerAddress{peer}); };
  EXPECT_FALSE(alice.request(Method::kConnect, attrs, o).ok());
  EXPECT_FALSE(alice.request(Method::kConnect, attrs, o).ok());  // no 446 either
  EXPECT_EQ(net.connects.size(), 1u);
  h.server->on_peer_connected(net.connects.back().id, true, h.now);
  // After the answer: the same answer again.
  Reply again = alice.request(Method::kConnect, attrs, o);
  EXPECT_TRUE(again.success());
  EXPECT_EQ(again.get<attr::ConnectionId>()->id, net.connects.back().id);
}

TEST_F(TcpRelayTest, ConnectToARefusedPeerIs403) {
  start_and_allocate();
  for (const char* refused :
       {"127.0.0.1:22", "10.0.0.1:80", "169.254.169.254:80", "224.0.0.1:80", "0.0.0.0:80"}) {
    EXPECT_EQ(connect(addr(refused)).error(), 403) << refused;
  }
  EXPECT_TRUE(net.connects.empty());
}

TEST_F(TcpRelayTest, ConnectToAnOpenRelayOnlyWhenItIsATcpRelay) {
  // 127.0.0.1 is refused as a peer, except as a relay of this server; a UDP relay's port
  // proves nothing about what listens there over TCP.
  turn::RelayRegistry registry({addr("127.0.0.1:0")});
  registry.add(addr("127.0.0.1:50001"));
  h.open_relays = &registry;
  start_and_allocate();
  EXPECT_EQ(connect(addr("127.0.0.1:50001")).error(), 403);
  net.tcp_relays.push_back(addr("127.0.0.1:50001"));
  EXPECT_FALSE(connect(addr("127.0.0.1:50001")).ok());
  EXPECT_EQ(net.connects.size(), 1u);
  // The core gives its relays back to the registry as it ends: end it while the registry
  // lives (ASan saw the fixture's harness outlive this local).
  h.server.reset();
}

TEST_F(TcpRelayTest, ConnectNeedsAPeerAndATcpAllocation) {
  start_and_allocate();
  EXPECT_EQ(alice.request(Method::kConnect).error(), 400);
  EXPECT_EQ(connect(addr("203.0.113.5:0")).error(), 400);
  EXPECT_EQ(connect(addr("[2001:db8::1]:80")).error(), 443);
  TurnClient udp{h, testing::udp_tuple("198.51.100.8:40000")};
  ASSERT_TRUE(udp.allocate().success());
  EXPECT_EQ(udp.request(Method::kConnect,
                        [this](stun::MessageBuilder& b) { b.add(attr::XorPeerAddress{peer}); })
                .error(),
            400);
  TurnClient none{h, testing::tcp_tuple("198.51.100.9:40000")};
  none.set_realm(alice.realm());
  none.set_nonce(alice.nonce());
  EXPECT_EQ(none.request(Method::kConnect,
                         [this](stun::MessageBuilder& b) { b.add(attr::XorPeerAddress{peer}); })
                .error(),
            437);
}

TEST_F(TcpRelayTest, ConnectionsPerAllocationAreCapped) {
  h.settings.max_tcp_connections = 2;
  start_and_allocate();
  connected(addr("203.0.113.5:1"));
  EXPECT_FALSE(connect(addr("203.0.113.5:2")).ok());
  EXPECT_EQ(connect(addr("203.0.113.5:3")).error(), 508);
  // Inbound peers count too.
  ASSERT_TRUE(alice.create_permission({addr("203.0.113.9:0")}).success());
  EXPECT_FALSE(
      h.server->on_peer_accepted(net.listening.front(), 77, addr("203.0.113.9:5000"), h.now));
  EXPECT_EQ(h.server->counters().tcp_peers_refused.get(), 1u);
}

// --- ConnectionBind (§5.3) ---

TEST_F(TcpRelayTest, ConnectionBindPipesTheDataConnection) {
  start_and_allocate();
  const ConnectionId id = connected(peer);
  Reply r = bind(data, id);
  ASSERT_TRUE(r.success()) << r.error();
  EXPECT_TRUE(r.integrity_ok(kAliceKey));
  ASSERT_EQ(net.bound.size(), 1u);
  EXPECT_EQ(net.bound[0].first, id);
  EXPECT_EQ(net.bound[0].second, data.tuple());
  // Bound once only: a second ConnectionBind for it is refused.
  TurnClient other{h, testing::tcp_tuple("198.51.100.7:40002")};
  EXPECT_EQ(bind(other, id).error(), 400);
  EXPECT_EQ(net.refused.size(), 1u);
  EXPECT_EQ(connect(peer).error(), 446);  // piped is "active"
}

TEST_F(TcpRelayTest, ConnectionBindWithAnUnknownIdIs400AndClosesTheConnection) {
  start_and_allocate();
  connected(peer);
  EXPECT_EQ(bind(data, 0xDEAD).error(), 400);
  ASSERT_EQ(net.refused.size(), 1u);
  EXPECT_EQ(net.refused[0], data.tuple());
  EXPECT_TRUE(net.bound.empty());
  TurnClient none{h, testing::tcp_tuple("198.51.100.7:40003")};
  EXPECT_EQ(bind(none, std::nullopt).error(), 400);
  EXPECT_EQ(h.server->counters().tcp_binds_refused.get(), 2u);
}

TEST_F(TcpRelayTest, ConnectionBindWhileConnectingIs400) {
  start_and_allocate();
  EXPECT_FALSE(connect(peer).ok());
  EXPECT_EQ(bind(data, net.connects.back().id).error(), 400);
}

TEST_F(TcpRelayTest, ConnectionBindByAnotherUserIs441) {
  start_and_allocate();
  const ConnectionId id = connected(peer);
  TurnClient mallory{h, testing::tcp_tuple("198.51.100.66:40000"), "bob", "hunter2"};
  mallory.set_realm(alice.realm());
  mallory.set_nonce(alice.nonce());
  Reply r = mallory.request(Method::kConnectionBind,
                            [id](stun::MessageBuilder& b) { b.add(attr::ConnectionId{id}); });
  EXPECT_EQ(r.error(), 441);
  EXPECT_TRUE(net.bound.empty());
  EXPECT_EQ(net.refused.size(), 1u);
  // The connection is still alice's to bind.
  EXPECT_TRUE(bind(data, id).success());
}

TEST_F(TcpRelayTest, ConnectionBindNeedsCredentials) {
  start_and_allocate();
  const ConnectionId id = connected(peer);
  TurnClient::Options unsigned_request;
  unsigned_request.sign = false;
  Reply r = data.request(
      Method::kConnectionBind, [id](stun::MessageBuilder& b) { b.add(attr::ConnectionId{id}); },
      unsigned_request);
  EXPECT_EQ(r.error(), 401);  // the usual first round trip: the connection stays
  EXPECT_TRUE(net.refused.empty());
  data.set_password("wrong");
  EXPECT_EQ(bind(data, id).error(), 401);
  EXPECT_TRUE(net.bound.empty());
}

TEST_F(TcpRelayTest, ConnectionBindOverUdpIs400) {
  start_and_allocate();
  const ConnectionId id = connected(peer);
  TurnClient udp{h, testing::udp_tuple("198.51.100.7:40009")};
  EXPECT_EQ(bind(udp, id).error(), 400);
  EXPECT_TRUE(net.bound.empty());
}

TEST_F(TcpRelayTest, ConnectionBindOnTheControlConnectionIs400) {
  start_and_allocate();
  const ConnectionId id = connected(peer);
  EXPECT_EQ(bind(alice, id).error(), 400);
  EXPECT_TRUE(net.bound.empty());
}

// --- Inbound peers (§5.4) ---

TEST_F(TcpRelayTest, InboundPeerWithoutAPermissionIsClosed) {
  start_and_allocate();
  const std::size_t before = sent_to(alice.tuple());
  EXPECT_FALSE(h.server->on_peer_accepted(net.listening.front(), 5, peer, h.now));
  EXPECT_EQ(sent_to(alice.tuple()), before);  // the client hears nothing
}

TEST_F(TcpRelayTest, InboundPeerWithAPermissionIsAnnounced) {
  start_and_allocate();
  ASSERT_TRUE(alice.create_permission({peer}).success());
  ASSERT_TRUE(h.server->on_peer_accepted(net.listening.front(), 0x4242, peer, h.now));
  Reply attempt = last_to(alice.tuple());
  ASSERT_TRUE(attempt.ok());
  EXPECT_EQ(attempt.msg().cls(), stun::Class::kIndication);
  EXPECT_EQ(attempt.msg().method(), static_cast<std::uint16_t>(Method::kConnectionAttempt));
  EXPECT_EQ(attempt.get<attr::XorPeerAddress>()->address, peer);
  EXPECT_EQ(attempt.get<attr::ConnectionId>()->id, 0x4242u);
  EXPECT_TRUE(bind(data, 0x4242).success());
}

TEST_F(TcpRelayTest, InboundPeerAfterItsPermissionExpiredIsClosed) {
  start_and_allocate();
  ASSERT_TRUE(alice.create_permission({peer}).success());
  h.advance(Seconds(301));
  EXPECT_FALSE(h.server->on_peer_accepted(net.listening.front(), 5, peer, h.now));
}

TEST_F(TcpRelayTest, TcpAllocationHasNoChannelsAndNoUdpData) {
  start_and_allocate();
  EXPECT_EQ(alice.channel_bind(0x4000, peer).error(), 400);
  ASSERT_TRUE(alice.create_permission({peer}).success());
  const std::size_t before = h.egress.client.size();
  const std::uint8_t ping[] = {'p'};
  h.server->on_peer_packet(net.listening.front(), peer, ping, h.now);
  EXPECT_EQ(h.egress.client.size(), before);
  alice.send_indication(peer, ping);
  EXPECT_TRUE(h.egress.peer.empty());
}

// --- The end of an allocation (§5.5) and of a connection ---

TEST_F(TcpRelayTest, DeletingTheAllocationClosesItsConnections) {
  start_and_allocate();
  const ConnectionId id = connected(peer);
  const RelayId relay = net.listening.front();
  ASSERT_TRUE(alice.refresh(0).success());
  EXPECT_EQ(net.closed_relays, std::vector<RelayId>{relay});
  EXPECT_EQ(bind(data, id).error(), 400);  // forgotten
  EXPECT_EQ(h.server->counters().tcp_connections_ended.get(), 1u);
}

TEST_F(TcpRelayTest, ControlConnectionCloseAndExpiryCloseTheRelay) {
  start_and_allocate();
  h.server->on_client_closed(alice.tuple());
  EXPECT_EQ(net.closed_relays.size(), 1u);
  TurnClient carol{h, testing::tcp_tuple("198.51.100.8:40000")};
  ASSERT_TRUE(carol.allocate(tcp_transport()).success());
  h.advance(Seconds(601));
  h.server->expire(h.now);
  EXPECT_EQ(net.closed_relays.size(), 2u);
}

TEST_F(TcpRelayTest, AClosedConnectionCannotBeBound) {
  start_and_allocate();
  const ConnectionId id = connected(peer);
  h.server->on_peer_connection_closed(id);  // e.g. 30 s without a ConnectionBind
  EXPECT_EQ(bind(data, id).error(), 400);
  EXPECT_FALSE(connect(peer).ok());  // the peer may be connected again
}

}  // namespace
}  // namespace ferry::turn
