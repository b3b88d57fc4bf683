// RelayPool and PeerSendBatch together, as the worker uses them: a datagram queued for a peer
// must leave from the relay socket it was queued on, even when that relay closes before the
// batch is flushed (issue 16, item 1: descriptor numbers are reused at once).
#include "relay_pool.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <vector>

#include "reservations.h"
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
  RelayPoolTest()
      : base_(event_base_new()),
        pool_(
            base_, RelayPool::Range{40000, 40999, ""}, reservations_, [](turn::RelayId, int) {},
            [] {}) {}
  ~RelayPoolTest() override { event_base_free(base_); }
  event_base* base_;
  Reservations reservations_;
  RelayPool pool_;
};

// The worker queues a client's payload for its relay, then (same receive batch) the client
// deletes its allocation and another socket is opened before the batch is flushed. On
// 7b1c093 the new socket took the closed relay's descriptor number and sent the payload.
TEST_F(RelayPoolTest, QueuedSendNeverLeavesFromAnotherSocketAfterClose) {
  ASSERT_TRUE(pool_.ok());
  UdpSocket peer;
  auto relay = pool_.open(loopback(), false);
  ASSERT_TRUE(relay);
  const int relay_fd = pool_.fd(relay->id);
  const std::vector<std::uint8_t> payload{'s', 'e', 'c', 'r', 'e', 't'};
  PeerSendBatch batch;
  batch.add(relay_fd, peer.address, Bytes(payload.data(), payload.size()));

  pool_.close(relay->id);
  EXPECT_EQ(pool_.fd(relay->id), -1);
  EXPECT_EQ(pool_.open_count(), 0u);
  // Whatever opens next (another allocation's relay here) must not get that descriptor.
  auto other = pool_.open(loopback(), false);
  ASSERT_TRUE(other);
  EXPECT_NE(pool_.fd(other->id), relay_fd);

  batch.flush();
  pool_.release_closed();
  for (const auto& r : receive_all(peer.fd, 200)) {
    EXPECT_NE(r.from, other->address) << "the payload left from another allocation's relay";
    EXPECT_EQ(r.from, relay->address);
  }
}

// After release_closed() the descriptor is really closed (no leak): the port can be bound
// again and the descriptor number is free.
TEST_F(RelayPoolTest, ReleaseClosedClosesTheDescriptor) {
  auto relay = pool_.open(loopback(), false);
  ASSERT_TRUE(relay);
  const int fd = pool_.fd(relay->id);
  pool_.close(relay->id);
  EXPECT_GE(fcntl(fd, F_GETFD), 0) << "closed before the batch could be flushed";
  pool_.release_closed();
  EXPECT_EQ(fcntl(fd, F_GETFD), -1);
  UdpSocket again;  // takes the lowest free number: the one just released
  EXPECT_EQ(again.fd, fd);
}

}  // namespace
}  // namespace ferry::net
