// RFC 8016 mobility in the core, with fakes: tickets on Allocate and Refresh, a move within a
// worker and between two (FakeMobility plays the queues), and the abuse cases of the path
// (DESIGN.md "Security first"): takeover, forged and replayed tickets, expiry, quota bypass,
// an occupied 5-tuple, floods that must not cross workers, full queues.
#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <vector>

#include "core_harness.h"
#include "ferry/auth/long_term_key.h"
#include "ferry/auth/ticket.h"
#include "ferry/stun/attributes.h"
#include "ferry/turn/dispatcher.h"
#include "ferry/turn/mobility.h"
#include "turn_client_fake.h"

namespace ferry::turn {
namespace {

namespace attr = stun::attr;
using stun::Method;
using testing::addr;
using testing::Attrs;
using testing::CoreHarness;
using testing::Reply;
using testing::TurnClient;
using testing::udp_tuple;

const std::uint8_t kPing[] = {'p', 'i', 'n', 'g'};
const auth::TicketCodec kTickets{auth::TicketCodec::Key{9, 9, 9}};

// The queues between workers, without threads: pump() delivers what was queued.
struct FakeMobility : MobilityNet {
  struct World* world = nullptr;
  unsigned index = 0;
  std::size_t limit = 16;
  std::deque<MoveAsk> asks;  // asked of this worker
  std::deque<MoveAnswer> answers;
  std::size_t reserved = 0;
  std::size_t asks_posted = 0;  // by this worker
  testing::FakeRelays* relays = nullptr;
  std::vector<int> closed_handles;

  unsigned worker() const override { return index; }
  unsigned workers() const override;
  bool ask(unsigned owner, MoveAsk&& a) override;
  bool reserve_answer(unsigned to) override;
  void answer(unsigned to, MoveAnswer&& a) override;
  Result<MovedRelay> detach_relay(RelayId id) override {
    if (!relays->is_open(id)) return Error{"not open"};
    relays->close(id);
    return MovedRelay{static_cast<int>(1000 * index + id), relays->addresses[id], false};
  }
  Result<Relay> attach_relay(const MovedRelay& r) override {
    if (refuse_attach) return Error{"epoll full"};
    return relays->adopt(r.address);
  }
  void close_moved(const MovedRelay& r) override { closed_handles.push_back(r.handle); }
  bool refuse_attach = false;
};

struct World {
  Quotas quotas{0, 0, 2};  // first: the servers return their units to it when they go
  std::array<CoreHarness, 2> w;
  std::array<FakeMobility, 2> net;

  World() {
    for (unsigned i = 0; i < 2; ++i) {
      testing::enable_turn(w[i]);
      w[i].settings.mobility = true;
      w[i].tickets = &kTickets;
      w[i].mobility = &net[i];
      w[i].shared_quotas = &quotas;
      net[i].world = this;
      net[i].index = i;
      net[i].relays = &w[i].relays;
    }
  }
  void start() {
    for (auto& h : w) h.start();
  }
  // Delivers every queued ask and answer, as the workers' loops would.
  void pump() {
    for (int round = 0; round < 4; ++round) {
      for (unsigned i = 0; i < 2; ++i) {
        while (!net[i].asks.empty()) {
          MoveAsk a = std::move(net[i].asks.front());
          net[i].asks.pop_front();
          w[i].server->on_move_ask(a, w[i].now);
        }
        while (!net[i].answers.empty()) {
          MoveAnswer a = std::move(net[i].answers.front());
          net[i].answers.pop_front();
          w[i].server->on_move_answer(a, w[i].now);
        }
      }
    }
  }
};

unsigned FakeMobility::workers() const {
  return 2;
}
bool FakeMobility::ask(unsigned owner, MoveAsk&& a) {
  FakeMobility& to = world->net[owner];
  if (to.asks.size() + to.answers.size() + to.reserved >= to.limit) return false;
  ++asks_posted;
  to.asks.push_back(std::move(a));
  return true;
}
bool FakeMobility::reserve_answer(unsigned to) {
  FakeMobility& n = world->net[to];
  if (n.asks.size() + n.answers.size() + n.reserved >= n.limit) return false;
  ++n.reserved;
  return true;
}
void FakeMobility::answer(unsigned to, MoveAnswer&& a) {
  FakeMobility& n = world->net[to];
  --n.reserved;
  n.answers.push_back(std::move(a));
}

Attrs with_ticket(Bytes ticket = {}) {
  std::vector<std::uint8_t> copy(ticket.begin(), ticket.end());
  return [copy](stun::MessageBuilder& b) {
    b.add(attr::MobilityTicket{Bytes(copy.data(), copy.size())});
  };
}
Attrs udp_with_ticket() {
  return [](stun::MessageBuilder& b) {
    TurnClient::udp()(b);
    b.add(attr::MobilityTicket{});
  };
}
std::vector<std::uint8_t> ticket_of(const Reply& r) {
  auto t = r.get<attr::MobilityTicket>();
  EXPECT_TRUE(t.has_value());
  return t ? std::vector<std::uint8_t>(t->value.begin(), t->value.end())
           : std::vector<std::uint8_t>{};
}
Reply move_with(TurnClient& c, const std::vector<std::uint8_t>& ticket) {
  if (c.nonce().empty()) c.challenge();
  return c.request(Method::kRefresh, with_ticket(Bytes(ticket.data(), ticket.size())));
}

// --- One worker ---

class MobilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::enable_turn(h);
    h.settings.mobility = true;
    h.tickets = &kTickets;
    h.shared_quotas = &quotas;
  }
  // alice allocates with a ticket, a permission and a channel to `peer`.
  std::vector<std::uint8_t> allocate_alice() {
    h.start();
    Reply r = alice.allocate(udp_with_ticket());
    EXPECT_TRUE(r.success()) << r.error();
    EXPECT_TRUE(alice.channel_bind(0x4001, peer).success());
    return ticket_of(r);
  }
  bool peer_reaches(const TurnClient& c) {
    const std::size_t before = h.egress.client.size();
    h.server->on_peer_packet(0, peer, kPing, h.now);
    return h.egress.client.size() == before + 1 && h.egress.client.back().tuple == c.tuple();
  }
  bool reaches_peer(TurnClient& c) {
    const std::size_t before = h.egress.peer.size();
    c.channel_data(0x4001, kPing);
    return h.egress.peer.size() == before + 1 && h.egress.peer.back().peer == peer;
  }

  Quotas quotas{0, 0, 2};  // before h: the server returns its units to it when it goes
  CoreHarness h;
  TurnClient alice{h, udp_tuple("198.51.100.7:40000")};
  TurnClient moved{h, udp_tuple("198.51.100.8:40001")};
  const Address peer = addr("203.0.113.5:7000");
};

TEST_F(MobilityTest, OffAnswers405ToTicketsInAllocateAndRefresh) {
  h.settings.mobility = false;
  h.start();
  EXPECT_EQ(alice.allocate(udp_with_ticket()).error(), 405);
  EXPECT_EQ(h.server->allocation_count(), 0u);
  ASSERT_TRUE(alice.allocate().success());
  Reply r = alice.request(Method::kRefresh, with_ticket());
  EXPECT_EQ(r.error(), 405);
  EXPECT_TRUE(r.integrity_ok(alice.key()));
  EXPECT_EQ(move_with(moved, {1, 2, 3}).error(), 405);
}

TEST_F(MobilityTest, AllocateAndRefreshWithTicketGetFreshTickets) {
  auto first = allocate_alice();
  EXPECT_EQ(first.size(), auth::TicketCodec::kSize);
  Reply r = alice.request(Method::kRefresh, with_ticket(Bytes(first.data(), first.size())));
  ASSERT_TRUE(r.success()) << r.error();
  EXPECT_NE(ticket_of(r), first);
  // Without MOBILITY-TICKET a Refresh issues none.
  EXPECT_FALSE(alice.refresh(600).get<attr::MobilityTicket>().has_value());
  EXPECT_EQ(h.server->counters().mobility_tickets.get(), 2u);
}

TEST_F(MobilityTest, MoveKeepsRelayPermissionsAndChannels) {
  auto ticket = allocate_alice();
  const Address relay = h.relays.addresses[0];
  Reply r = move_with(moved, ticket);
  ASSERT_TRUE(r.success()) << r.error();
  EXPECT_TRUE(r.integrity_ok(moved.key()));
  EXPECT_FALSE(ticket_of(r).empty());
  EXPECT_TRUE(r.get<attr::Lifetime>().has_value());
  EXPECT_TRUE(h.server->has_allocation(moved.tuple()));
  EXPECT_FALSE(h.server->has_allocation(alice.tuple()));
  EXPECT_EQ(h.relays.open_count, 1u);
  EXPECT_EQ(h.relays.addresses[0], relay);
  EXPECT_TRUE(peer_reaches(moved));
  EXPECT_TRUE(reaches_peer(moved));
  EXPECT_FALSE(reaches_peer(alice));           // the old 5-tuple reaches nothing
  EXPECT_EQ(alice.refresh(600).error(), 437);  // ... and owns nothing
  EXPECT_EQ(h.server->counters().mobility_moves.get(), 1u);
  EXPECT_EQ(h.server->counters().allocations_created_total(), 1u);
  EXPECT_EQ(h.server->counters().allocations_ended_total(), 0u);
  // A retransmission of the move gets the same answer.
  Reply again = moved.request(Method::kRefresh, with_ticket(Bytes(ticket.data(), ticket.size())),
                              {.tid = moved.last_tid()});
  EXPECT_EQ(again.bytes(), r.bytes());
}

// Abuse: another user's valid credentials with a stolen ticket.
TEST_F(MobilityTest, StolenTicketWithOtherCredentialsIs441AndChangesNothing) {
  auto ticket = allocate_alice();
  TurnClient mallory{h, udp_tuple("198.51.100.66:5000"), "bob", "hunter2"};
  Reply r = move_with(mallory, ticket);
  EXPECT_EQ(r.error(), 441);
  EXPECT_TRUE(h.server->has_allocation(alice.tuple()));
  EXPECT_FALSE(h.server->has_allocation(mallory.tuple()));
  EXPECT_TRUE(peer_reaches(alice));
  // The ticket still works for its owner.
  EXPECT_TRUE(move_with(moved, ticket).success());
  EXPECT_EQ(h.server->counters().mobility_refused[1 + 1].get(), 1u);  // kWrongUser
}

// Abuse: a forged, truncated or bit-flipped ticket; no credentials at all.
TEST_F(MobilityTest, ForgedOrFlippedTicketsAre400AndChangeNothing) {
  auto ticket = allocate_alice();
  for (std::size_t i = 0; i < ticket.size(); i += 7) {
    auto bad = ticket;
    bad[i] ^= 0x01;
    EXPECT_EQ(move_with(moved, bad).error(), 400) << i;
  }
  EXPECT_EQ(move_with(moved, std::vector<std::uint8_t>(ticket.begin(), ticket.end() - 1)).error(),
            400);
  EXPECT_EQ(move_with(moved, std::vector<std::uint8_t>(90, 0xAB)).error(), 400);
  TurnClient::Options unsigned_request;
  unsigned_request.sign = false;
  EXPECT_EQ(moved
                .request(Method::kRefresh, with_ticket(Bytes(ticket.data(), ticket.size())),
                         unsigned_request)
                .error(),
            401);
  EXPECT_TRUE(h.server->has_allocation(alice.tuple()));
  EXPECT_FALSE(h.server->has_allocation(moved.tuple()));
  EXPECT_TRUE(move_with(moved, ticket).success());
}

// Abuse: a used ticket replayed, and a superseded one.
TEST_F(MobilityTest, UsedAndSupersededTicketsAre437) {
  auto ticket = allocate_alice();
  ASSERT_TRUE(move_with(moved, ticket).success());
  TurnClient third{h, udp_tuple("198.51.100.9:40002")};
  EXPECT_EQ(move_with(third, ticket).error(), 437);
  EXPECT_TRUE(h.server->has_allocation(moved.tuple()));
  // A fresh ticket from a Refresh supersedes the one the move gave.
  auto given = ticket_of(moved.last());
  Reply fresh = moved.request(Method::kRefresh, with_ticket());
  ASSERT_TRUE(fresh.success());
  EXPECT_EQ(move_with(third, given).error(), 437);
  EXPECT_TRUE(move_with(third, ticket_of(fresh)).success());
}

// Abuse: a used ticket names nothing even when the move's Refresh failed after the move (443:
// a family the allocation lacks), so no fresh ticket superseded it.
TEST_F(MobilityTest, UsedTicketOfAMoveWhoseRefreshFailedIs437) {
  auto ticket = allocate_alice();
  moved.challenge();
  const std::vector<std::uint8_t> copy = ticket;
  Reply r = moved.request(Method::kRefresh, [copy](stun::MessageBuilder& b) {
    b.add(attr::MobilityTicket{Bytes(copy.data(), copy.size())});
    b.add(attr::RequestedAddressFamily{Family::kV6});
  });
  EXPECT_EQ(r.error(), 443);
  ASSERT_TRUE(h.server->has_allocation(moved.tuple()));
  TurnClient third{h, udp_tuple("198.51.100.9:40002")};
  EXPECT_EQ(move_with(third, ticket).error(), 437);
  EXPECT_TRUE(h.server->has_allocation(moved.tuple()));
  EXPECT_FALSE(h.server->has_allocation(third.tuple()));
}

// Abuse: unbounded retention. A ticket expires with the lifetime its allocation had, never
// extends it, and nothing is left once the allocation is gone.
TEST_F(MobilityTest, TicketsDieWithTheirAllocation) {
  auto ticket = allocate_alice();
  h.advance(Seconds(601));
  h.server->expire(h.now);
  EXPECT_EQ(h.server->allocation_count(), 0u);
  EXPECT_EQ(move_with(moved, ticket).error(), 400);
  EXPECT_EQ(h.server->allocation_count(), 0u);
  EXPECT_EQ(quotas.total(), 0u);
}

TEST_F(MobilityTest, AnExpiredButUnsweptAllocationDoesNotMove) {
  auto ticket = allocate_alice();
  Reply r = alice.request(Method::kRefresh, [](stun::MessageBuilder& b) {
    b.add(attr::Lifetime{1200});
    b.add(attr::MobilityTicket{});
  });
  ticket = ticket_of(r);
  alice.refresh(600);  // the allocation now ends before the ticket says
  h.advance(Seconds(700));
  EXPECT_EQ(move_with(moved, ticket).error(), 437);
  EXPECT_FALSE(h.server->has_allocation(moved.tuple()));
}

// Abuse: quota bypass. max-allocations-per-ip follows the client; a full address refuses the
// move and nothing changes.
TEST_F(MobilityTest, MoveOntoAFullAddressIs486AndChangesNothing) {
  auto ticket = allocate_alice();
  TurnClient b1{h, udp_tuple("198.51.100.8:50000")};
  TurnClient b2{h, udp_tuple("198.51.100.8:50001")};
  ASSERT_TRUE(b1.allocate().success());
  ASSERT_TRUE(b2.allocate().success());
  EXPECT_EQ(b1.allocate().error(), 437);
  TurnClient b3{h, udp_tuple("198.51.100.8:50002")};
  EXPECT_EQ(b3.allocate().error(), 486);
  EXPECT_EQ(move_with(moved, ticket).error(), 486);  // moved is on .8 too
  EXPECT_TRUE(h.server->has_allocation(alice.tuple()));
  EXPECT_EQ(quotas.total(), 3u);
  // The per-IP unit followed nothing: alice's address still holds one, so one more fits there.
  TurnClient a2{h, udp_tuple("198.51.100.7:40009")};
  ASSERT_TRUE(a2.allocate().success());
  TurnClient a3{h, udp_tuple("198.51.100.7:40010")};
  EXPECT_EQ(a3.allocate().error(), 486);
  // Moving to a free address frees alice's.
  TurnClient elsewhere{h, udp_tuple("198.51.100.20:1000")};
  ASSERT_TRUE(move_with(elsewhere, ticket).success());
  EXPECT_TRUE(a3.allocate().success());
  EXPECT_EQ(quotas.total(), 5u);
}

// Abuse: a move onto a 5-tuple that has an allocation of its own.
TEST_F(MobilityTest, MoveOntoAnAllocatedTupleIs437) {
  auto ticket = allocate_alice();
  ASSERT_TRUE(moved.allocate().success());
  EXPECT_EQ(move_with(moved, ticket).error(), 437);
  EXPECT_TRUE(h.server->has_allocation(alice.tuple()));
  EXPECT_EQ(h.server->allocation_count(), 2u);
}

TEST_F(MobilityTest, StreamsAndTcpRelaysGet405) {
  h.start();
  TurnClient tcp{h, testing::tcp_tuple("198.51.100.7:40000")};
  EXPECT_EQ(tcp.allocate(udp_with_ticket()).error(), 405);
  ASSERT_TRUE(tcp.allocate().success());
  EXPECT_EQ(tcp.request(Method::kRefresh, with_ticket()).error(), 405);
  // A UDP ticket cannot move its allocation onto a TCP 5-tuple.
  auto ticket = ticket_of(alice.allocate(udp_with_ticket()));
  TurnClient other{h, testing::tcp_tuple("198.51.100.7:40005")};
  EXPECT_EQ(move_with(other, ticket).error(), 405);
  EXPECT_TRUE(h.server->has_allocation(alice.tuple()));
}

// DTLS carries one message per record, like UDP: its allocations move, to DTLS 5-tuples only.
TEST_F(MobilityTest, DtlsAllocationsMoveBetweenDtlsTuples) {
  h.start();
  TurnClient dtls{h, {addr("198.51.100.7:41000"), addr("192.0.2.1:5349"), Transport::kDtls}};
  auto ticket = ticket_of(dtls.allocate(udp_with_ticket()));
  TurnClient udp{h, udp_tuple("198.51.100.8:41001")};
  EXPECT_EQ(move_with(udp, ticket).error(), 405);
  TurnClient next{h, {addr("198.51.100.8:41002"), addr("192.0.2.1:5349"), Transport::kDtls}};
  Reply r = move_with(next, ticket);
  ASSERT_TRUE(r.success()) << r.error();
  EXPECT_TRUE(h.server->has_allocation(next.tuple()));
  EXPECT_FALSE(h.server->has_allocation(dtls.tuple()));
}

TEST_F(MobilityTest, NoAuthGivesNoTickets) {
  h.settings.auth_required = false;
  h.start();
  alice.set_anonymous();
  EXPECT_EQ(alice.allocate(udp_with_ticket()).error(), 405);
}

// --- Two workers ---

class CrossWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override { world.start(); }
  std::vector<std::uint8_t> allocate_on_0(const Attrs& extra = {}) {
    Reply r = alice.allocate([extra](stun::MessageBuilder& b) {
      udp_with_ticket()(b);
      if (extra) extra(b);
    });
    EXPECT_TRUE(r.success()) << r.error();
    EXPECT_TRUE(alice.channel_bind(0x4001, peer).success());
    return ticket_of(r);
  }
  World world;
  TurnClient alice{world.w[0], udp_tuple("198.51.100.7:40000")};
  TurnClient moved{world.w[1], udp_tuple("198.51.100.8:40001")};
  const Address peer = addr("203.0.113.5:7000");
};

TEST_F(CrossWorkerTest, TheAllocationMovesToTheWorkerThatGotTheRefresh) {
  auto ticket = allocate_on_0();
  EXPECT_FALSE(move_with(moved, ticket).ok());  // deferred: asked of worker 0
  EXPECT_EQ(world.net[0].asks.size(), 1u);
  world.pump();
  ASSERT_FALSE(world.w[1].egress.client.empty());
  Reply r(world.w[1].egress.client.back().data);
  ASSERT_TRUE(r.success()) << r.error();
  EXPECT_TRUE(r.integrity_ok(moved.key()));
  EXPECT_FALSE(ticket_of(r).empty());
  EXPECT_EQ(world.w[0].server->allocation_count(), 0u);
  EXPECT_EQ(world.w[1].server->allocation_count(), 1u);
  EXPECT_EQ(world.w[0].relays.open_count, 0u);  // detached, not closed: no handle closed
  EXPECT_TRUE(world.net[0].closed_handles.empty() && world.net[1].closed_handles.empty());
  EXPECT_EQ(world.w[1].relays.open_count, 1u);
  // Data both ways on worker 1, with the channel bound on worker 0.
  world.w[1].server->on_peer_packet(0, peer, kPing, world.w[1].now);
  EXPECT_EQ(world.w[1].egress.client.back().tuple, moved.tuple());
  const std::size_t sent = world.w[1].egress.peer.size();
  moved.channel_data(0x4001, kPing);
  EXPECT_EQ(world.w[1].egress.peer.size(), sent + 1);
  EXPECT_EQ(world.w[1].server->counters().mobility_moves.get(), 1u);
  EXPECT_EQ(world.quotas.total(), 1u);
  // The new ticket (naming worker 1) moves it back.
  TurnClient back{world.w[0], udp_tuple("198.51.100.9:40002")};
  move_with(back, ticket_of(r));
  world.pump();
  EXPECT_EQ(world.w[0].server->allocation_count(), 1u);
  EXPECT_TRUE(world.w[0].server->has_allocation(back.tuple()));
}

TEST_F(CrossWorkerTest, DualStackAllocationsMoveBothRelays) {
  world.w[0].settings.listening_ips = {addr("192.0.2.1:0"), addr("[2001:db8::1]:0")};
  world.w[1].settings.listening_ips = world.w[0].settings.listening_ips;
  world.start();
  auto ticket = allocate_on_0(
      [](stun::MessageBuilder& b) { b.add(attr::AdditionalAddressFamily{Family::kV6}); });
  EXPECT_EQ(world.w[0].relays.open_count, 2u);
  move_with(moved, ticket);
  world.pump();
  Reply r(world.w[1].egress.client.back().data);
  ASSERT_TRUE(r.success()) << r.error();
  EXPECT_EQ(world.w[0].relays.open_count, 0u);
  EXPECT_EQ(world.w[1].relays.open_count, 2u);
  EXPECT_TRUE(moved.create_permission({addr("[2001:db8::5]:1")}).success());
}

// Abuse: a flood of unauthenticated or bogus-ticket Refreshes crosses no worker boundary.
TEST_F(CrossWorkerTest, BogusRefreshesNeverReachTheOwner) {
  auto ticket = allocate_on_0();
  TurnClient::Options unsigned_request;
  unsigned_request.sign = false;
  TurnClient mallory{world.w[1], udp_tuple("198.51.100.66:5000"), "bob", "hunter2"};
  for (int i = 0; i < 50; ++i) {
    moved.request(Method::kRefresh, with_ticket(Bytes(ticket.data(), ticket.size())),
                  unsigned_request);
    auto bad = ticket;
    bad[static_cast<std::size_t>(i) % bad.size()] ^= 0x80;
    EXPECT_EQ(move_with(moved, bad).error(), 400);
    EXPECT_EQ(move_with(mallory, ticket).error(), 441);
  }
  EXPECT_EQ(world.net[1].asks_posted, 0u);
  EXPECT_TRUE(world.net[0].asks.empty());
  EXPECT_TRUE(world.w[0].server->has_allocation(alice.tuple()));
}

TEST_F(CrossWorkerTest, AFullQueueIs508AndChangesNothing) {
  auto ticket = allocate_on_0();
  world.net[0].limit = 0;
  EXPECT_EQ(move_with(moved, ticket).error(), 508);
  EXPECT_TRUE(world.w[0].server->has_allocation(alice.tuple()));
  // No room for the answer: the owner keeps the allocation and the Refresh goes unanswered.
  world.net[0].limit = 16;
  world.net[1].limit = 0;
  moved.request(Method::kRefresh, with_ticket(Bytes(ticket.data(), ticket.size())));
  world.pump();
  EXPECT_TRUE(world.w[0].server->has_allocation(alice.tuple()));
  EXPECT_EQ(world.w[0].server->counters().mobility_refused[6].get(), 1u);  // kBusy
  world.net[1].limit = 16;
  move_with(moved, ticket);
  world.pump();
  EXPECT_TRUE(world.w[1].server->has_allocation(moved.tuple()));
}

// Abuse: a replayed ticket after the move, and a vanished allocation, get an answer.
TEST_F(CrossWorkerTest, VanishedOrReplayedGetsAnErrorAnswer) {
  auto ticket = allocate_on_0();
  ASSERT_TRUE(alice.refresh(0).success());  // deleted on worker 0
  move_with(moved, ticket);
  world.pump();
  Reply r(world.w[1].egress.client.back().data);
  EXPECT_EQ(r.error(), 437);
  EXPECT_TRUE(r.integrity_ok(moved.key()));
  EXPECT_EQ(world.w[1].server->allocation_count(), 0u);
  EXPECT_EQ(world.quotas.total(), 0u);
}

// Abuse: ticket serials are counted per worker, so a moved allocation must not keep the serial
// its old worker gave it. Here the move's Refresh fails after the adoption (443: a family the
// allocation lacks), so no fresh ticket replaces it: a dead ticket of an earlier allocation in
// the same table slot of worker 1, with the same serial, must not take it over.
TEST_F(CrossWorkerTest, AnOldTicketOfTheReusedSlotCannotTakeOverAMovedAllocation) {
  TurnClient early{world.w[1], udp_tuple("198.51.100.20:41000")};
  Reply first = early.allocate(udp_with_ticket());
  ASSERT_TRUE(first.success()) << first.error();
  auto dead = ticket_of(first);  // worker 1, slot 0, worker 1's serial 1
  ASSERT_TRUE(early.refresh(0).success());
  auto ticket = allocate_on_0();  // worker 0, slot 0, worker 0's serial 1
  if (moved.nonce().empty()) moved.challenge();
  const std::vector<std::uint8_t> copy = ticket;
  moved.request(Method::kRefresh, [copy](stun::MessageBuilder& b) {
    b.add(attr::MobilityTicket{Bytes(copy.data(), copy.size())});
    b.add(attr::RequestedAddressFamily{Family::kV6});
  });
  world.pump();
  Reply r(world.w[1].egress.client.back().data);
  EXPECT_EQ(r.error(), 443);
  ASSERT_TRUE(world.w[1].server->has_allocation(moved.tuple()));
  // The dead ticket, from yet another address, names nothing.
  TurnClient thief{world.w[1], udp_tuple("198.51.100.21:41001")};
  EXPECT_EQ(move_with(thief, dead).error(), 437);
  EXPECT_TRUE(world.w[1].server->has_allocation(moved.tuple()));
  EXPECT_FALSE(world.w[1].server->has_allocation(thief.tuple()));
}

TEST_F(CrossWorkerTest, RelaysThatCannotAttachAreClosedAndCounted) {
  auto ticket = allocate_on_0();
  world.net[1].refuse_attach = true;
  move_with(moved, ticket);
  world.pump();
  Reply r(world.w[1].egress.client.back().data);
  EXPECT_EQ(r.error(), 508);
  EXPECT_EQ(world.net[1].closed_handles.size(), 1u);
  EXPECT_EQ(world.quotas.total(), 0u);
  EXPECT_EQ(world.w[1].server->counters().allocations_ended_total(), 1u);
}

}  // namespace
}  // namespace ferry::turn
