// DESIGN.md section 2: no heap allocation per packet. Counts operator new calls while the core
// answers Bindings, drops garbage and relays (ChannelData and Send indications to peers,
// ChannelData and Data indications to clients); the egress only counts.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <new>

#include "ferry/stun/message.h"
#include "ferry/turn/dispatcher.h"
#include "turn_client_fake.h"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

// Replacing the global allocation functions is the standard way to observe allocations; this
// binary contains only these tests. operator new is malloc and operator delete is free here, on
// purpose: GCC, seeing both inlined into standard containers, would call them mismatched.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace ferry::turn {
namespace {

struct CountingEgress : Egress {
  std::size_t bytes = 0;
  std::size_t messages = 0;
  void to_client(const FiveTuple&, Bytes d) override {
    bytes += d.size();
    ++messages;
  }
  void to_peer(RelayId, const Address&, Bytes d) override {
    bytes += d.size();
    ++messages;
  }
  void to_peer_dont_fragment(RelayId r, const Address& p, Bytes d) override { to_peer(r, p, d); }
};

struct NoRelays : RelayAllocator {
  Result<Relay> open(const Address&, bool) override { return Error{"none"}; }
  void close(RelayId) override {}
  bool can_dont_fragment() const override { return false; }
  bool set_dont_fragment(RelayId) override { return false; }
  Result<Token> reserve(const Address&, std::string_view, const RealmLimits&, TimePoint) override {
    return Error{"none"};
  }
  Result<Relay> claim(const Token&, TimePoint) override { return Error{"none"}; }
};

TEST(NoAlloc, BindingAndDroppedPacketsDoNotTouchTheHeap) {
  Settings settings;
  settings.fingerprint = true;
  settings.unauthenticated_response_rate = 0;
  CountingEgress egress;
  NoRelays relays;
  auth::StaticUsers users("r");
  auth::NonceCodec nonces(auth::NonceCodec::Key{1});
  Quotas quotas(0, 0);
  Dispatcher server(Dependencies{settings, egress, relays, users, nonces, quotas});
  FiveTuple t{*Address::parse_endpoint("198.51.100.7:40000"),
              *Address::parse_endpoint("192.0.2.1:3478"), Transport::kUdp};
  std::array<std::uint8_t, 64> req{};
  stun::TransactionId tid{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  stun::MessageBuilder b(req, stun::Method::kBinding, stun::Class::kRequest, tid);
  b.add_fingerprint();
  Bytes packet = b.finish();
  std::array<std::uint8_t, 24> junk{};
  junk[0] = 0x01;
  TimePoint now{};
  server.on_client_packet(t, packet, now);  // warm-up
  long before = g_allocations.load();
  for (int i = 0; i < 1000; ++i) {
    server.on_client_packet(t, packet, now);
    server.on_client_packet(t, junk, now);
  }
  EXPECT_EQ(g_allocations.load() - before, 0);
  EXPECT_EQ(egress.messages, 1001u);
}

// Forwards to the harness's recording egress while the test sets up (the fake client reads
// the answers there), then only counts.
struct SwitchEgress : Egress {
  explicit SwitchEgress(Egress& setup) : setup_(setup) {}
  bool counting = false;
  CountingEgress counter;
  void to_client(const FiveTuple& t, Bytes d) override {
    counting ? counter.to_client(t, d) : setup_.to_client(t, d);
  }
  void to_peer(RelayId r, const Address& p, Bytes d) override {
    counting ? counter.to_peer(r, p, d) : setup_.to_peer(r, p, d);
  }
  void to_peer_dont_fragment(RelayId r, const Address& p, Bytes d) override {
    counting ? counter.to_peer(r, p, d) : setup_.to_peer_dont_fragment(r, p, d);
  }

 private:
  Egress& setup_;
};

TEST(NoAlloc, RelayedPacketsDoNotTouchTheHeap) {
  testing::CoreHarness h;
  testing::enable_turn(h);
  h.settings.fingerprint = true;  // Data indications carry FINGERPRINT too
  SwitchEgress egress(h.egress);
  h.server = std::make_unique<Dispatcher>(
      Dependencies{h.settings, egress, h.relays, h.users, h.nonces, h.quotas});
  testing::TurnClient alice{h, testing::udp_tuple("198.51.100.7:40000")};
  const Address with_channel = testing::addr("203.0.113.5:7000");
  const Address without = testing::addr("203.0.113.6:7000");
  ASSERT_TRUE(alice.allocate().success());
  ASSERT_TRUE(alice.channel_bind(0x4000, with_channel).success());
  ASSERT_TRUE(alice.create_permission({without}).success());

  // The client's packets, built before counting.
  std::vector<std::uint8_t> payload(160, 0xAB);
  std::vector<std::uint8_t> channel_data(4 + payload.size());
  stun::write_channel_data_header(channel_data.data(), 0x4000,
                                  static_cast<std::uint16_t>(payload.size()));
  std::copy(payload.begin(), payload.end(), channel_data.begin() + 4);
  std::array<std::uint8_t, 512> send_buf{};
  stun::MessageBuilder b(send_buf, stun::Method::kSend, stun::Class::kIndication,
                         stun::TransactionId{9});
  b.add(stun::attr::XorPeerAddress{without});
  b.add(stun::attr::Data{Bytes(payload.data(), payload.size())});
  Bytes send_indication = b.finish();
  ASSERT_FALSE(send_indication.empty());

  egress.counting = true;
  const FiveTuple& t = alice.tuple();
  long before = g_allocations.load();
  for (int i = 0; i < 1000; ++i) {
    h.server->on_client_packet(t, channel_data, h.now);
    h.server->on_client_packet(t, send_indication, h.now);
    h.server->on_peer_packet(0, with_channel, payload, h.now);  // -> ChannelData
    h.server->on_peer_packet(0, without, payload, h.now);       // -> Data indication
  }
  EXPECT_EQ(g_allocations.load() - before, 0);
  EXPECT_EQ(egress.counter.messages, 4000u);  // every packet was relayed
}

}  // namespace
}  // namespace ferry::turn
