// RFC 8016 mobility over real sockets on loopback: a turnserver with two workers and
// `mobility`; clients allocate with MOBILITY-TICKET, then move the allocation to new 5-tuples
// (another source port, 127.0.0.2) that the kernel hashes to either worker, and relay both ways
// after every move. Abuse cases over the wire: a stolen ticket with other credentials, a
// replayed ticket, the old 5-tuple after the move, and a move onto a full address.
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "client/turn_client.h"
#include "echo_peer.h"
#include "http_client.h"
#include "loopback_server_test.h"
#include "server_process.h"

namespace ferry::testing {
namespace {

using client::AllocateOptions;
using client::ClientSocket;
using client::TurnClient;

// Two workers whatever the suite's run asks (FERRY_TEST_RELAY_THREADS): moves must cross.
class TwoWorkers {
 public:
  TwoWorkers() {
    if (const char* was = std::getenv("FERRY_TEST_RELAY_THREADS")) saved_ = was;
    setenv("FERRY_TEST_RELAY_THREADS", "2", 1);
  }
  ~TwoWorkers() {
    if (saved_) {
      setenv("FERRY_TEST_RELAY_THREADS", saved_->c_str(), 1);
    } else {
      unsetenv("FERRY_TEST_RELAY_THREADS");
    }
  }
  TwoWorkers(const TwoWorkers&) = delete;
  TwoWorkers& operator=(const TwoWorkers&) = delete;

 private:
  std::optional<std::string> saved_;
};

class MobilityTest : public LoopbackServerTest {
 protected:
  void start(const std::string& extra = "") {
    web_ = free_port();
    launch([&](std::uint16_t port) {
      return "listening-ip=127.0.0.1\nlistening-port=" + std::to_string(port) +
             "\nrelay-ip=127.0.0.1\nmin-port=45000\nmax-port=45999\nrealm=example.org\n"
             "user=alice:secret\nuser=bob:hunter2\nallow-loopback-peers\nmobility\n"
             "prometheus\nweb-listening-port=" +
             std::to_string(web_) + "\n" + extra;
    });
  }
  // A UDP client from `local_ip` (port chosen by the kernel: a new 5-tuple each time).
  TurnClient client_from(const char* local_ip) {
    std::string err;
    Address local = *Address::parse_ip(local_ip, 0);
    auto s = ClientSocket::open(Transport::kUdp, server_address(), &err, &local);
    EXPECT_TRUE(s) << err;
    return TurnClient(std::move(*s));
  }
  static void round_trips(TurnClient& c, const EchoPeer& peer, std::uint16_t channel, int n) {
    for (int i = 0; i < n; ++i) {
      std::vector<std::uint8_t> payload(40 + static_cast<std::size_t>(i),
                                        static_cast<std::uint8_t>(i));
      ASSERT_TRUE(channel != 0 ? c.send_channel_data(channel, payload)
                               : c.send_indication(peer.address(), payload));
      auto got = c.receive_data(Millis(2000));
      ASSERT_TRUE(got) << "packet " << i << " lost";
      EXPECT_EQ(got->data, payload);
    }
  }
  std::string metrics() {
    auto m = http_get(*Address::parse_ip("127.0.0.1", web_), "/metrics");
    return m ? m->body : std::string();
  }
  static std::uint64_t value(const std::string& body, const std::string& name) {
    auto at = body.find("\n" + name + " ");
    if (at == std::string::npos) return ~std::uint64_t{0};
    return std::stoull(body.substr(at + name.size() + 2));
  }
  TwoWorkers two_;
  std::uint16_t web_ = 0;
};

// Ten moves between 127.0.0.1 and 127.0.0.2, new source ports each time, data both ways
// after each (ChannelData, and Send indications with the permission the first client made).
TEST_F(MobilityTest, AnAllocationFollowsItsClientAcrossWorkers) {
  start();
  EchoPeer peer;
  auto first = client_from("127.0.0.1");
  auto a = first.allocate("alice", "secret", 600, AllocateOptions{.mobility = true});
  ASSERT_TRUE(a.ok) << a.reason;
  ASSERT_EQ(a.ticket.size(), 32u);
  ASSERT_TRUE(first.channel_bind(0x4001, peer.address()).ok);
  round_trips(first, peer, 0x4001, 3);
  std::vector<std::uint8_t> ticket = a.ticket;
  std::optional<TurnClient> holder;
  holder.emplace(std::move(first));
  for (int i = 0; i < 10; ++i) {
    auto next = client_from(i % 2 == 0 ? "127.0.0.2" : "127.0.0.1");
    auto moved = next.move("alice", "secret", ticket, &*holder);
    ASSERT_TRUE(moved.ok) << "move " << i << ": " << moved.error_code << " " << moved.reason;
    EXPECT_TRUE(moved.authenticated);
    ASSERT_EQ(moved.ticket.size(), 32u);
    EXPECT_NE(moved.ticket, ticket);
    // The old 5-tuple no longer owns it.
    EXPECT_EQ(holder->refresh(600).error_code, 437) << "move " << i;
    round_trips(next, peer, 0x4001, 3);
    round_trips(next, peer, 0, 2);
    ticket = moved.ticket;
    holder.emplace(std::move(next));
  }
  const std::string m = metrics();
  EXPECT_EQ(value(m, "ferry_mobility_moves_total"), 10u) << m;
  // 10 moves onto 5-tuples hashed to either of two workers: some crossed (chance 2^-10 not).
  const std::uint64_t across = value(m, "ferry_mobility_moves_across_workers_total");
  EXPECT_GE(across, 1u) << m;
  EXPECT_LE(across, 10u) << m;
  ASSERT_TRUE(holder->refresh(0).ok);
}

// Abuse: a stolen ticket with bob's valid credentials (441); the used ticket replayed (437);
// a forged one (400). None changes anything: alice keeps relaying.
TEST_F(MobilityTest, StolenReplayedAndForgedTicketsMoveNothing) {
  start();
  EchoPeer peer;
  auto alice = client_from("127.0.0.1");
  auto a = alice.allocate("alice", "secret", 600, AllocateOptions{.mobility = true});
  ASSERT_TRUE(a.ok) << a.reason;
  ASSERT_TRUE(alice.channel_bind(0x4001, peer.address()).ok);
  for (int i = 0; i < 6; ++i) {
    auto mallory = client_from("127.0.0.2");
    EXPECT_EQ(mallory.move("bob", "hunter2", a.ticket).error_code, 441);
    auto forged = a.ticket;
    forged[static_cast<std::size_t>(i)] = forged[static_cast<std::size_t>(i)] == 'A' ? 'B' : 'A';
    EXPECT_EQ(mallory.move("alice", "secret", forged).error_code, 400);
  }
  round_trips(alice, peer, 0x4001, 2);
  auto next = client_from("127.0.0.2");
  auto moved = next.move("alice", "secret", a.ticket, &alice);
  ASSERT_TRUE(moved.ok) << moved.error_code << " " << moved.reason;
  auto replay = client_from("127.0.0.1");
  EXPECT_EQ(replay.move("alice", "secret", a.ticket).error_code, 437);
  round_trips(next, peer, 0x4001, 2);
}

// Abuse: quota bypass. max-allocations-per-ip=1: a move onto an address that has its one
// allocation is 486 and changes nothing.
TEST_F(MobilityTest, AMoveOntoAFullAddressIsRefused) {
  start("max-allocations-per-ip=1\n");
  EchoPeer peer;
  auto alice = client_from("127.0.0.1");
  auto a = alice.allocate("alice", "secret", 600, AllocateOptions{.mobility = true});
  ASSERT_TRUE(a.ok) << a.reason;
  ASSERT_TRUE(alice.channel_bind(0x4001, peer.address()).ok);
  auto other = client_from("127.0.0.2");
  ASSERT_TRUE(other.allocate("bob", "hunter2", 600).ok);
  auto next = client_from("127.0.0.2");
  EXPECT_EQ(next.move("alice", "secret", a.ticket).error_code, 486);
  round_trips(alice, peer, 0x4001, 2);
  ASSERT_TRUE(other.refresh(0).ok);
  auto moved = next.move("alice", "secret", a.ticket, &alice);
  ASSERT_TRUE(moved.ok) << moved.error_code;
  round_trips(next, peer, 0x4001, 2);
}

// Mobility off (the default): a ticket request is 405 (RFC 8016 §3.4), as coturn answers it.
TEST_F(MobilityTest, OffByDefaultAnswers405) {
  web_ = free_port();
  launch([&](std::uint16_t port) {
    return "listening-ip=127.0.0.1\nlistening-port=" + std::to_string(port) +
           "\nrelay-ip=127.0.0.1\nmin-port=45000\nmax-port=45999\nrealm=example.org\n"
           "user=alice:secret\n";
  });
  auto alice = client_from("127.0.0.1");
  EXPECT_EQ(alice.allocate("alice", "secret", 600, AllocateOptions{.mobility = true}).error_code,
            405);
  EXPECT_TRUE(alice.allocate("alice", "secret", 600).ok);
}

}  // namespace
}  // namespace ferry::testing
