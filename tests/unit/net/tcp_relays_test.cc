// TcpRelays (RFC 6062's sockets) on its own, with real sockets on loopback and no core: the
// deadlines (driven by tick() with a later `now`) and the connection slots its peer
// connections take and give back.
#include "tcp_relays.h"

#include <event2/event.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "connection_limits.h"
#include "ferry/turn/relay_registry.h"

namespace ferry::net {
namespace {

Address loopback(std::uint16_t port = 0) {
  return *Address::parse_ip("127.0.0.1", port);
}

// A TCP listener on 127.0.0.1 (an ephemeral port) that never accepts: the kernel completes
// handshakes into its backlog.
struct Listener {
  Listener() {
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_storage ss;
    socklen_t len = loopback().to_sockaddr(&ss);
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&ss), len), 0);
    EXPECT_EQ(::listen(fd, 16), 0);
    socklen_t got = sizeof ss;
    getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &got);
    address = Address::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), got);
  }
  ~Listener() { close(fd); }
  int fd = -1;
  Address address;
};

class TcpRelaysTest : public ::testing::Test {
 protected:
  void TearDown() override {
    relays.reset();
    event_base_free(base);
  }
  // Runs the loop until `done` or a second has passed.
  template <class Done>
  void run_until(Done done) {
    for (int i = 0; i < 100 && !done(); ++i) {
      const timeval ten_ms{0, 10000};
      event_base_loopexit(base, &ten_ms);
      event_base_dispatch(base);
    }
  }

  event_base* base = event_base_new();
  ConnectionLimits slots{0, 3};  // three per client address: a listener and two connections
  NetCounters counters;
  turn::RelayRegistry registry{{loopback()}};
  const Address client = *Address::parse_ip("192.0.2.7", 4000);
  std::unique_ptr<TcpRelays> relays =
      std::make_unique<TcpRelays>(base, slots, counters, registry, 1, 3, TcpRelays::Limits{});
};

TEST_F(TcpRelaysTest, IdsAreOwnedByTheirWorkerAndUnpredictable) {
  Listener peer;
  ASSERT_TRUE(relays->listen(turn::Relay{7, loopback()}, client));
  auto a = relays->connect(7, peer.address);
  auto b = relays->connect(7, peer.address);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a % 3, 1u);  // worker 1 of 3
  EXPECT_EQ(relays->owner(*a), 1u);
  EXPECT_EQ(*b % 3, 1u);
  EXPECT_NE(*a, *b);
}

TEST_F(TcpRelaysTest, PeerConnectionsTakeTheClientsConnectionSlots) {
  Listener peer;
  ASSERT_TRUE(relays->listen(turn::Relay{7, loopback()}, client));  // one slot
  ASSERT_TRUE(relays->connect(7, peer.address));
  ASSERT_TRUE(relays->connect(7, peer.address));
  EXPECT_FALSE(relays->connect(7, peer.address));  // the client's address is at its bound
  EXPECT_EQ(counters.tcp_relay_refused.get(), 1u);
  EXPECT_EQ(slots.acquire(client), ConnectionLimits::Verdict::kOverPerIp);
  // The allocation ends: everything closes and the slots come back.
  relays->close_relay(7);
  EXPECT_EQ(relays->connection_count(), 0u);
  EXPECT_EQ(slots.acquire(client), ConnectionLimits::Verdict::kAccepted);
  EXPECT_FALSE(relays->connect(7, peer.address));  // no listener: no relay
}

// A TCP relay's listener is a descriptor too, and takes a slot of the client's address like
// the client's connections and its peer connections. Once it took none: a TCP allocation held
// two descriptors (its UDP relay socket and the listener) against one allocation of the relay
// sockets' share, so TCP allocations could take more descriptors than RLIMIT_NOFILE leaves.
TEST_F(TcpRelaysTest, TheListenerTakesAConnectionSlot) {
  ASSERT_EQ(slots.acquire(client), ConnectionLimits::Verdict::kAccepted);
  ASSERT_EQ(slots.acquire(client), ConnectionLimits::Verdict::kAccepted);
  ASSERT_TRUE(relays->listen(turn::Relay{7, loopback()}, client));  // the last slot
  EXPECT_EQ(slots.acquire(client), ConnectionLimits::Verdict::kOverPerIp);
  // No slot left: no listener (the core answers 508).
  EXPECT_FALSE(relays->listen(turn::Relay{8, loopback()}, client));
  EXPECT_EQ(counters.tcp_relay_refused.get(), 1u);
  EXPECT_EQ(relays->connection_count(), 0u);
  // The allocation ends: its slot comes back.
  relays->close_relay(7);
  EXPECT_EQ(slots.acquire(client), ConnectionLimits::Verdict::kAccepted);
}

// RFC 6062 §5.2: a Connect that has not connected within 30 s fails; §5.2, §5.4: a connection
// not bound within 30 s closes. Either gives its slot back.
TEST_F(TcpRelaysTest, ConnectsAndUnboundConnectionsTimeOut) {
  Listener peer;
  ASSERT_TRUE(relays->listen(turn::Relay{7, loopback()}, client));
  ASSERT_TRUE(relays->connect(7, peer.address));  // still connecting: the loop has not run
  relays->tick(Clock::now() + Seconds(29));
  EXPECT_EQ(relays->connection_count(), 1u);
  relays->tick(Clock::now() + Seconds(31));
  EXPECT_EQ(relays->connection_count(), 0u);
  EXPECT_EQ(counters.tcp_relay_timeouts.get(), 1u);

  ASSERT_TRUE(relays->connect(7, peer.address));
  ASSERT_TRUE(relays->connect(7, peer.address));
  run_until([] { return false; });  // connected now (the kernel completes the handshakes)
  EXPECT_EQ(relays->connection_count(), 2u);
  relays->tick(Clock::now() + Seconds(31));  // never bound
  EXPECT_EQ(relays->connection_count(), 0u);
  EXPECT_EQ(counters.tcp_relay_timeouts.get(), 3u);
  EXPECT_EQ(slots.acquire(client), ConnectionLimits::Verdict::kAccepted);
}

TEST_F(TcpRelaysTest, OnlyOpenTcpRelaysAreKnownAsSuch) {
  Listener taken;  // a port someone else listens on: no TCP relay there
  EXPECT_FALSE(relays->listen(turn::Relay{8, taken.address}, client));
  EXPECT_FALSE(relays->is_tcp_relay(taken.address));
  const Address relay = loopback(taken.address.port() == 65535 ? 65534 : taken.address.port() + 1);
  if (!relays->listen(turn::Relay{9, relay}, client)) GTEST_SKIP() << "port in use";
  EXPECT_TRUE(relays->is_tcp_relay(relay));
  relays->close_relay(9);
  EXPECT_FALSE(relays->is_tcp_relay(relay));
}

}  // namespace
}  // namespace ferry::net
