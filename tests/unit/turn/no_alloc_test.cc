// DESIGN.md section 2: no heap allocation per packet. Counts operator new calls while the core
// answers Bindings and drops garbage; the fake egress writes into preallocated storage.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <new>

#include "ferry/stun/message.h"
#include "ferry/turn/server.h"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

// Replacing the global allocation functions is the standard way to observe allocations; this
// binary contains only this test.
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
};

struct NoRelays : RelayAllocator {
  Result<Relay> open(const Address&, bool) override { return Error{"none"}; }
  void close(RelayId) override {}
  Result<Token> reserve(const Address&, TimePoint) override { return Error{"none"}; }
  Result<Relay> claim(const Token&, TimePoint) override { return Error{"none"}; }
};

TEST(NoAlloc, BindingAndDroppedPacketsDoNotTouchTheHeap) {
  Settings settings;
  settings.fingerprint = true;
  CountingEgress egress;
  NoRelays relays;
  auth::StaticUsers users("r");
  auth::NonceCodec nonces(auth::NonceCodec::Key{1});
  Quotas quotas(0, 0);
  Server server(Dependencies{settings, egress, relays, users, nonces, quotas});
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

}  // namespace
}  // namespace ferry::turn
