// RelayPool and PeerSendBatch together, as the worker uses them: a datagram queued for a peer
// must leave from the relay socket it was queued on, even when that relay closes before the
// batch is flushed (issue 16, item 1: descriptor numbers are reused at once).
#include "relay_pool.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <vector>

#include "ferry/turn/relay_registry.h"
#include "reservations.h"
#include "sockets.h"
#include "udp_batch.h"

namespace ferry::net {
namespace {

Address loopback(std::uint16_t port = 0) {
  return *Address::parse_ip("127.0.0.1", port);
}

// A UDP socket bound to 127.0.0.1 on an ephemeral port.
struct UdpSocket {
  UdpSocket() {
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_storage ss;
    socklen_t len = loopback().to_sockaddr(&ss);
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&ss), len), 0);
    socklen_t got = sizeof ss;
    getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &got);
    address = Address::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), got);
  }
  ~UdpSocket() { close(fd); }
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;
  int fd = -1;
  Address address;
};

struct Received {
  Address from;
  std::vector<std::uint8_t> data;
};

std::vector<Received> receive_all(int fd, int wait_ms) {
  std::vector<Received> out;
  pollfd p{fd, POLLIN, 0};
  while (poll(&p, 1, wait_ms) > 0) {
    std::uint8_t buf[2048];
    sockaddr_storage from;
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) break;
    out.push_back({Address::from_sockaddr(reinterpret_cast<sockaddr*>(&from), len),
                   std::vector<std::uint8_t>(buf, buf + n)});
    wait_ms = 0;
  }
  return out;
}

class RelayPoolTest : public ::testing::Test {
 protected:
  RelayPoolTest() : base_(event_base_new()) {
    auto pool = RelayPool::create(
        base_, RelayPool::Range{40000, 40999, ""}, reservations_, [](turn::RelayId, int) {}, [] {});
    EXPECT_TRUE(pool) << pool.error();
    if (pool) pool_ = std::move(*pool);
  }
  ~RelayPoolTest() override {
    pool_.reset();
    event_base_free(base_);
  }
  event_base* base_;
  turn::Quotas quotas_{0, 0};
  Reservations reservations_{quotas_, 16};
  std::unique_ptr<RelayPool> pool_;
};

// The worker queues a client's payload for its relay, then (same receive batch) the client
// deletes its allocation and another socket is opened before the batch is flushed. On
// 7b1c093 the new socket took the closed relay's descriptor number and sent the payload.
TEST_F(RelayPoolTest, QueuedSendNeverLeavesFromAnotherSocketAfterClose) {
  ASSERT_NE(pool_, nullptr);
  UdpSocket peer;
  auto relay = pool_->open(loopback(), false);
  ASSERT_TRUE(relay);
  const int relay_fd = pool_->fd(relay->id);
  const std::vector<std::uint8_t> payload{'s', 'e', 'c', 'r', 'e', 't'};
  PeerSendBatch batch;
  batch.add(relay_fd, peer.address, Bytes(payload.data(), payload.size()));

  pool_->close(relay->id);
  EXPECT_EQ(pool_->fd(relay->id), -1);
  EXPECT_EQ(pool_->open_count(), 0u);
  // Whatever opens next (another allocation's relay here) must not get that descriptor.
  auto other = pool_->open(loopback(), false);
  ASSERT_TRUE(other);
  EXPECT_NE(pool_->fd(other->id), relay_fd);

  batch.flush();
  pool_->release_closed();
  for (const auto& r : receive_all(peer.fd, 200)) {
    EXPECT_NE(r.from, other->address) << "the payload left from another allocation's relay";
    EXPECT_EQ(r.from, relay->address);
  }
}

int int_option(int fd, int level, int name) {
  int value = -1;
  socklen_t len = sizeof value;
  EXPECT_EQ(getsockopt(fd, level, name, &value, &len), 0);
  return value;
}

// RFC 8656 §7.2, DONT-FRAGMENT: the relay's socket really sends with DF (Linux:
// IP_MTU_DISCOVER = IP_PMTUDISC_DO on IPv4, IPV6_DONTFRAG on IPv6), and only when asked.
TEST_F(RelayPoolTest, DontFragmentSetsTheSocketOption) {
  ASSERT_TRUE(pool_->can_dont_fragment());
  auto v4 = pool_->open(loopback(), false);
  ASSERT_TRUE(v4);
  const int fd4 = pool_->fd(v4->id);
  EXPECT_NE(int_option(fd4, IPPROTO_IP, IP_MTU_DISCOVER), IP_PMTUDISC_DO);
  EXPECT_FALSE(pool_->dont_fragment(v4->id));
  ASSERT_TRUE(pool_->set_dont_fragment(v4->id));
  EXPECT_EQ(int_option(fd4, IPPROTO_IP, IP_MTU_DISCOVER), IP_PMTUDISC_DO);
  EXPECT_TRUE(pool_->dont_fragment(v4->id));

  auto v6 = pool_->open(*Address::parse_ip("::1"), false);
  ASSERT_TRUE(v6);
  const int fd6 = pool_->fd(v6->id);
  EXPECT_EQ(int_option(fd6, IPPROTO_IPV6, IPV6_DONTFRAG), 0);
  ASSERT_TRUE(pool_->set_dont_fragment(v6->id));
  EXPECT_EQ(int_option(fd6, IPPROTO_IPV6, IPV6_DONTFRAG), 1);

  // A closed relay's id, reused, starts without DF.
  pool_->close(v4->id);
  pool_->release_closed();
  EXPECT_FALSE(pool_->set_dont_fragment(v4->id));
  auto reused = pool_->open(loopback(), false);
  ASSERT_TRUE(reused);
  EXPECT_EQ(reused->id, v4->id);
  EXPECT_FALSE(pool_->dont_fragment(reused->id));
  EXPECT_NE(int_option(pool_->fd(reused->id), IPPROTO_IP, IP_MTU_DISCOVER), IP_PMTUDISC_DO);
}

// RFC 8656 §11.2: one datagram with DF (a Send indication's DONT-FRAGMENT) arrives, and the
// relay's own setting is back as it was after it.
TEST_F(RelayPoolTest, OneDatagramWithDontFragmentLeavesTheSettingAsItWas) {
  UdpSocket peer;
  auto relay = pool_->open(loopback(), false);
  ASSERT_TRUE(relay);
  const int fd = pool_->fd(relay->id);
  const int before = int_option(fd, IPPROTO_IP, IP_MTU_DISCOVER);
  const std::vector<std::uint8_t> payload{'d', 'f'};
  EXPECT_TRUE(send_dont_fragment(fd, peer.address, Bytes(payload.data(), payload.size())));
  EXPECT_EQ(int_option(fd, IPPROTO_IP, IP_MTU_DISCOVER), before);
  auto got = receive_all(peer.fd, 500);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, payload);
  EXPECT_EQ(got[0].from, relay->address);
}

// After release_closed() the descriptor is really closed (no leak): the port can be bound
// again and the descriptor number is free.
TEST_F(RelayPoolTest, ReleaseClosedClosesTheDescriptor) {
  auto relay = pool_->open(loopback(), false);
  ASSERT_TRUE(relay);
  const int fd = pool_->fd(relay->id);
  pool_->close(relay->id);
  EXPECT_GE(fcntl(fd, F_GETFD), 0) << "closed before the batch could be flushed";
  pool_->release_closed();
  EXPECT_EQ(fcntl(fd, F_GETFD), -1);
  UdpSocket again;  // takes the lowest free number: the one just released
  EXPECT_EQ(again.fd, fd);
}

// Issue 16 item 6: once every port of the range is open, a refused Allocate costs a bitmap
// scan, not a bind() per port (on 7b1c093: 32 random binds and then one per port, about
// 86 ms of CPU per refusal with a 16k-port range).
TEST(RelayPoolFreePorts, AFullRangeIsRefusedWithoutBinding) {
  event_base* base = event_base_new();
  turn::Quotas quotas{0, 0};
  Reservations reservations{quotas, 16};
  turn::RelayRegistry registry({loopback()});
  {
    auto made = RelayPool::create(
        base, RelayPool::Range{41000, 41007, ""}, reservations, [](turn::RelayId, int) {}, [] {},
        &registry);
    ASSERT_TRUE(made) << made.error();
    RelayPool& pool = **made;
    std::vector<turn::Relay> open;
    for (int i = 0; i < 8; ++i) {
      auto r = pool.open(loopback(), false);
      ASSERT_TRUE(r) << "port " << i;
      EXPECT_TRUE(registry.contains(r->address));
      open.push_back(*r);
    }
    const std::size_t before = pool.bind_attempts();
    EXPECT_FALSE(pool.open(loopback(), false));
    EXPECT_FALSE(pool.open(loopback(), true));
    EXPECT_EQ(pool.bind_attempts(), before) << "the full range was probed with bind()";
    // A closed relay's port is free again at once (for the map; the socket closes with the
    // batch).
    pool.close(open[3].id);
    EXPECT_FALSE(registry.contains(open[3].address));
    pool.release_closed();
    auto again = pool.open(loopback(), false);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->address, open[3].address);
  }
  event_base_free(base);
}

// A port held outside the pool (another program, a reservation) is skipped, not fatal.
TEST(RelayPoolFreePorts, PortsHeldElsewhereAreSkipped) {
  event_base* base = event_base_new();
  turn::Quotas quotas{0, 0};
  Reservations reservations{quotas, 16};
  turn::RelayRegistry registry({loopback()});
  UdpSocket foreign;  // an ephemeral port; make the range that port and the next
  const std::uint16_t p = foreign.address.port();
  if (p < 65535) {
    auto made = RelayPool::create(
        base, RelayPool::Range{p, static_cast<std::uint16_t>(p + 1), ""}, reservations,
        [](turn::RelayId, int) {}, [] {}, &registry);
    ASSERT_TRUE(made) << made.error();
    RelayPool& pool = **made;
    auto r = pool.open(loopback(), false);
    if (r) {  // unless something else holds p + 1 too
      EXPECT_EQ(r->address.port(), p + 1);
    }
    EXPECT_FALSE(registry.contains(foreign.address));
  }
  event_base_free(base);
}

TEST(RelayRegistryFreePort, FindsEvenAndWrapsAndReportsFull) {
  turn::RelayRegistry reg({loopback()});
  EXPECT_EQ(reg.free_port(loopback(), 100, 200, 0, false), 100);
  EXPECT_EQ(reg.free_port(loopback(), 100, 200, 50, false), 150);
  EXPECT_EQ(reg.free_port(loopback(), 100, 200, 51, true), 152);
  for (std::uint16_t port = 150; port <= 200; ++port) reg.add(loopback(port));
  EXPECT_EQ(reg.free_port(loopback(), 100, 200, 60, false), 100);  // wrapped
  for (std::uint16_t port = 100; port < 150; ++port) reg.add(loopback(port));
  EXPECT_FALSE(reg.free_port(loopback(), 100, 200, 7, false));
  reg.remove(loopback(133));
  EXPECT_EQ(reg.free_port(loopback(), 100, 200, 99, false), 133);
  EXPECT_FALSE(reg.free_port(loopback(), 100, 200, 99, true));  // 133 is odd
  EXPECT_FALSE(reg.free_port(*Address::parse_ip("127.0.0.2"), 100, 200, 0, false));
  // The top of the port space.
  EXPECT_EQ(reg.free_port(loopback(), 65530, 65535, 5, false), 65535);
}

}  // namespace
}  // namespace ferry::net
