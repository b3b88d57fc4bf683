// The protocol core (turn::Dispatcher) with the network left out: packets in through
// on_client_packet / on_peer_packet, out through a counting Egress that never allocates.
// Every benchmark checks afterwards that the core did what the packets asked (a reply or a
// relayed datagram per packet) and reports heap allocations per iteration ("allocs/iter").
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "alloc_counter.h"
#include "bench_core.h"
#include "ferry/stun/attributes.h"
#include "ferry/stun/message.h"

namespace ferry::bench {
namespace {

using stun::Class;
using stun::Method;

// Marks the run failed when the core's output is not what every iteration should produce.
void expect(benchmark::State& state, std::uint64_t got, std::uint64_t want, const char* what) {
  if (got != want) state.SkipWithError(what);
}

// "out_bytes": the bytes the core handed to the Egress per iteration (shows what was sent:
// 104 for a 100-byte ChannelData, more for a Data indication).
void report_bytes_out(benchmark::State& state, std::uint64_t bytes) {
  state.counters["out_bytes"] =
      benchmark::Counter(static_cast<double>(bytes), benchmark::Counter::kAvgIterations);
}

// One allocation (client 1, relay id 0) with channel 0x4000 bound to peer_address(), which also
// installs the permission for the peer's IP.
struct OneAllocation {
  std::unique_ptr<Core> core = std::make_unique<Core>();
  Client client{*core, client_tuple(1)};
  bool ok = client.allocate() && client.channel_bind(kChannel, peer_address());
};

void BM_Core_Binding(benchmark::State& state) {
  Core core;
  std::array<std::uint8_t, 64> buf{};
  stun::MessageBuilder b(buf, Method::kBinding, Class::kRequest, make_tid(1, 2));
  const Bytes req = b.finish();
  const FiveTuple t = client_tuple(1);
  const auto sent = core.egress.to_client_count;
  const auto allocs = allocation_count();
  for (auto _ : state) core.server->on_client_packet(t, req, core.now);
  report_allocations(state, allocs);
  state.SetItemsProcessed(state.iterations());
  expect(state, core.egress.to_client_count - sent, state.iterations(), "a Binding unanswered");
}
BENCHMARK(BM_Core_Binding);

// ChannelData client -> peer on a bound channel; the argument is the payload size.
void BM_Core_ChannelDataC2P(benchmark::State& state) {
  OneAllocation a;
  const auto frame = channel_data_frame(kChannel, static_cast<std::size_t>(state.range(0)));
  const Bytes in = bytes_of(frame);
  const FiveTuple t = a.client.tuple();
  turn::Dispatcher& server = *a.core->server;
  const TimePoint now = a.core->now;
  const auto sent = a.core->egress.to_peer_count;
  const auto bytes = a.core->egress.bytes;
  const auto allocs = allocation_count();
  for (auto _ : state) server.on_client_packet(t, in, now);
  report_allocations(state, allocs);
  report_bytes_out(state, a.core->egress.bytes - bytes);
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
  expect(state, a.ok ? a.core->egress.to_peer_count - sent : 0, state.iterations(),
         "ChannelData not relayed");
}
BENCHMARK(BM_Core_ChannelDataC2P)->Arg(100)->Arg(1000);

// A 100-byte datagram from the peer of the bound channel -> ChannelData to the client.
void BM_Core_ChannelDataP2C(benchmark::State& state) {
  OneAllocation a;
  const std::vector<std::uint8_t> payload(100, 0x5A);
  const Address peer = peer_address();
  const turn::RelayId relay = a.client.relay();
  turn::Dispatcher& server = *a.core->server;
  const TimePoint now = a.core->now;
  const auto sent = a.core->egress.to_client_count;
  const auto bytes = a.core->egress.bytes;
  const auto allocs = allocation_count();
  for (auto _ : state) server.on_peer_packet(relay, peer, bytes_of(payload), now);
  report_allocations(state, allocs);
  report_bytes_out(state, a.core->egress.bytes - bytes);
  state.SetItemsProcessed(state.iterations());
  expect(state, a.ok ? a.core->egress.to_client_count - sent : 0, state.iterations(),
         "peer datagram not delivered");
}
BENCHMARK(BM_Core_ChannelDataP2C);

// A Send indication (XOR-PEER-ADDRESS + 100-byte DATA) to a permitted peer.
void BM_Core_SendIndicationC2P(benchmark::State& state) {
  OneAllocation a;
  const std::vector<std::uint8_t> payload(100, 0x5A);
  std::array<std::uint8_t, 256> buf{};
  stun::MessageBuilder b(buf, Method::kSend, Class::kIndication, make_tid(3, 4));
  b.add(stun::attr::XorPeerAddress{peer_address(7001)});
  b.add(stun::attr::Data{bytes_of(payload)});
  const Bytes ind = b.finish();
  const FiveTuple t = a.client.tuple();
  turn::Dispatcher& server = *a.core->server;
  const TimePoint now = a.core->now;
  const auto sent = a.core->egress.to_peer_count;
  const auto bytes = a.core->egress.bytes;
  const auto allocs = allocation_count();
  for (auto _ : state) server.on_client_packet(t, ind, now);
  report_allocations(state, allocs);
  report_bytes_out(state, a.core->egress.bytes - bytes);
  state.SetItemsProcessed(state.iterations());
  expect(state, a.ok ? a.core->egress.to_peer_count - sent : 0, state.iterations(),
         "Send indication not relayed");
}
BENCHMARK(BM_Core_SendIndicationC2P);

// A 100-byte datagram from a permitted peer without a channel (another port of the same IP)
// -> a Data indication to the client; fingerprint:1 with the `fingerprint` option on.
void BM_Core_DataIndicationP2C(benchmark::State& state) {
  OneAllocation a;
  a.core->settings.fingerprint = state.range(0) != 0;
  const std::vector<std::uint8_t> payload(100, 0x5A);
  const Address peer = peer_address(7001);
  const turn::RelayId relay = a.client.relay();
  turn::Dispatcher& server = *a.core->server;
  const TimePoint now = a.core->now;
  const auto sent = a.core->egress.to_client_count;
  const auto bytes = a.core->egress.bytes;
  const auto allocs = allocation_count();
  for (auto _ : state) server.on_peer_packet(relay, peer, bytes_of(payload), now);
  report_allocations(state, allocs);
  report_bytes_out(state, a.core->egress.bytes - bytes);
  state.SetItemsProcessed(state.iterations());
  expect(state, a.ok ? a.core->egress.to_client_count - sent : 0, state.iterations(),
         "peer datagram not delivered");
}
BENCHMARK(BM_Core_DataIndicationP2C)->Arg(0)->Arg(1)->ArgName("fingerprint");

// One allocation's life per iteration, on a 5-tuple without an allocation: Allocate without
// credentials (401 with a fresh nonce), the authenticated Allocate, Refresh with LIFETIME 0.
// The requests are signed beforehand (the client's HMACs are not the server's cost) for a
// pool of 1,024 5-tuples, used in turn: each one's allocation is gone when it comes back.
// dual:1 asks for an IPv4 and an IPv6 relay (ADDITIONAL-ADDRESS-FAMILY, RFC 8656 §7.2).
struct PreparedAllocation {
  FiveTuple tuple;
  std::array<std::array<std::uint8_t, 192>, 3> msg{};
  std::array<std::size_t, 3> size{};
  Bytes packet(std::size_t i) const { return Bytes(msg[i].data(), size[i]); }
};

void BM_Core_AllocateFull(benchmark::State& state) {
  constexpr std::size_t kPool = 1024;
  const bool dual = state.range(0) != 0;
  Core core;
  if (dual) {
    core.settings.relay_ips = {*Address::parse_ip("192.0.2.1"), *Address::parse_ip("2001:db8::1")};
  }
  auto add_allocate = [dual](stun::MessageBuilder& b) {
    add_udp(b);
    if (dual) b.add(stun::attr::AdditionalAddressFamily{Family::kV6});
  };
  std::vector<PreparedAllocation> pool(kPool);
  bool ok = true;
  for (std::size_t i = 0; i < kPool; ++i) {
    PreparedAllocation& p = pool[i];
    p.tuple = client_tuple(static_cast<std::uint32_t>(1000 + i));
    Client c(core, p.tuple);
    ok = ok && c.challenge();  // learns the nonce the server gives this address
    auto keep = [&p](std::size_t k, Bytes m) {
      std::copy(m.begin(), m.end(), p.msg[k].begin());
      p.size[k] = m.size();
      return !m.empty();
    };
    ok = ok && keep(0, c.build(p.msg[0], Method::kAllocate, false, add_allocate));
    ok = ok && keep(1, c.build(p.msg[1], Method::kAllocate, true, add_allocate));
    ok = ok && keep(2, c.build(p.msg[2], Method::kRefresh, true,
                               [](stun::MessageBuilder& b) { b.add(stun::attr::Lifetime{0}); }));
  }
  turn::Dispatcher& server = *core.server;
  const TimePoint now = core.now;
  const turn::Counters& c = server.counters();
  const std::uint64_t created = c.allocations_created_total();
  const std::uint64_t ended = c.allocations_ended_total();
  const std::uint64_t errors = c.error_responses_total();
  const auto sent = core.egress.to_client_count;
  std::size_t next = 0;
  const auto allocs = allocation_count();
  for (auto _ : state) {
    const PreparedAllocation& p = pool[next];
    next = (next + 1) % kPool;
    server.on_client_packet(p.tuple, p.packet(0), now);
    server.on_client_packet(p.tuple, p.packet(1), now);
    server.on_client_packet(p.tuple, p.packet(2), now);
  }
  report_allocations(state, allocs);
  state.SetItemsProcessed(state.iterations());
  const auto n = static_cast<std::uint64_t>(state.iterations());
  expect(state, ok ? c.allocations_created_total() - created : 0, n, "Allocate not granted");
  expect(state, c.allocations_ended_total() - ended, n, "Refresh 0 not applied");
  expect(state, c.error_responses_total() - errors, n, "not exactly one 401 each");
  expect(state, core.egress.to_client_count - sent, 3 * n, "a request unanswered");
  expect(state, core.relays.next, dual ? 2u : 1u, "not one relay per family");
}
BENCHMARK(BM_Core_AllocateFull)->Arg(0)->Arg(1)->ArgName("dual");

// N live allocations, each with channel 0x4000 bound to peer_address(). Built once per N and
// kept for the rest of the run (16,000 allocations take a moment to set up).
struct LiveAllocations {
  std::unique_ptr<Core> core = std::make_unique<Core>();
  std::vector<FiveTuple> tuples;
  std::vector<turn::RelayId> relays;
  bool ok = true;
};

const LiveAllocations& live_allocations(std::size_t n) {
  static std::map<std::size_t, std::unique_ptr<LiveAllocations>> cache;
  auto& slot = cache[n];
  if (slot) return *slot;
  slot = std::make_unique<LiveAllocations>();
  for (std::size_t i = 0; i < n && slot->ok; ++i) {
    Client c(*slot->core, client_tuple(static_cast<std::uint32_t>(i)));
    slot->ok = c.allocate() && c.channel_bind(kChannel, peer_address());
    slot->tuples.push_back(c.tuple());
    slot->relays.push_back(c.relay());
  }
  slot->ok = slot->ok && slot->core->server->allocation_count() == n;
  return *slot;
}

// ChannelData client -> peer (100 bytes) with range(0) live allocations. rotate:0 sends on one
// 5-tuple (the table's size alone); rotate:1 cycles through all of them (cache misses too).
void BM_Core_ChannelDataC2P_LiveAllocations(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const bool rotate = state.range(1) != 0;
  const LiveAllocations& live = live_allocations(n);
  const auto frame = channel_data_frame(kChannel, 100);
  const Bytes in = bytes_of(frame);
  turn::Dispatcher& server = *live.core->server;
  const TimePoint now = live.core->now;
  const auto sent = live.core->egress.to_peer_count;
  std::size_t i = 0;
  const auto allocs = allocation_count();
  for (auto _ : state) {
    server.on_client_packet(live.tuples[i], in, now);
    if (rotate && ++i == n) i = 0;
  }
  report_allocations(state, allocs);
  state.SetItemsProcessed(state.iterations());
  expect(state, live.ok ? live.core->egress.to_peer_count - sent : 0, state.iterations(),
         "ChannelData not relayed");
}
BENCHMARK(BM_Core_ChannelDataC2P_LiveAllocations)
    ->ArgsProduct({{10, 16000}, {0, 1}})
    ->ArgNames({"allocs", "rotate"});

// The same from the peers' side: a 100-byte datagram on relay i -> ChannelData to client i.
void BM_Core_ChannelDataP2C_LiveAllocations(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const bool rotate = state.range(1) != 0;
  const LiveAllocations& live = live_allocations(n);
  const std::vector<std::uint8_t> payload(100, 0x5A);
  const Address peer = peer_address();
  turn::Dispatcher& server = *live.core->server;
  const TimePoint now = live.core->now;
  const auto sent = live.core->egress.to_client_count;
  std::size_t i = 0;
  const auto allocs = allocation_count();
  for (auto _ : state) {
    server.on_peer_packet(live.relays[i], peer, bytes_of(payload), now);
    if (rotate && ++i == n) i = 0;
  }
  report_allocations(state, allocs);
  state.SetItemsProcessed(state.iterations());
  expect(state, live.ok ? live.core->egress.to_client_count - sent : 0, state.iterations(),
         "peer datagram not delivered");
}
BENCHMARK(BM_Core_ChannelDataP2C_LiveAllocations)
    ->ArgsProduct({{10, 16000}, {0, 1}})
    ->ArgNames({"allocs", "rotate"});

// One allocation with range(0) channels, each to its own peer IP (so as many permissions);
// traffic on the channel bound last. Shows the cost of the per-allocation channel and
// permission lookups as a client binds more channels (an SFU, a game server).
struct ManyChannels {
  std::unique_ptr<Core> core = std::make_unique<Core>();
  Client client{*core, client_tuple(1)};
  bool ok = client.allocate();
};

Address channel_peer(std::size_t k) {
  return v4(11, 0, static_cast<std::uint8_t>(k >> 8), static_cast<std::uint8_t>(k), 7000);
}

const ManyChannels& many_channels(std::size_t k) {
  static std::map<std::size_t, std::unique_ptr<ManyChannels>> cache;
  auto& slot = cache[k];
  if (slot) return *slot;
  slot = std::make_unique<ManyChannels>();
  for (std::size_t c = 0; c < k && slot->ok; ++c) {
    slot->ok = slot->client.channel_bind(static_cast<std::uint16_t>(kChannel + c), channel_peer(c));
  }
  return *slot;
}

// range(1) 0: ChannelData client -> peer; 1: peer -> client.
void BM_Core_ChannelData_ChannelsPerAllocation(benchmark::State& state) {
  const auto k = static_cast<std::size_t>(state.range(0));
  const bool p2c = state.range(1) != 0;
  const ManyChannels& m = many_channels(k);
  const auto frame = channel_data_frame(static_cast<std::uint16_t>(kChannel + k - 1), 100);
  const Bytes in = bytes_of(frame);
  const Bytes payload = in.subspan(stun::kChannelDataHeaderSize);
  const Address peer = channel_peer(k - 1);
  const FiveTuple t = m.client.tuple();
  const turn::RelayId relay = m.client.relay();
  turn::Dispatcher& server = *m.core->server;
  const TimePoint now = m.core->now;
  const CountingEgress& egress = m.core->egress;
  const auto sent = egress.to_client_count + egress.to_peer_count;
  const auto allocs = allocation_count();
  for (auto _ : state) {
    if (p2c) {
      server.on_peer_packet(relay, peer, payload, now);
    } else {
      server.on_client_packet(t, in, now);
    }
  }
  report_allocations(state, allocs);
  state.SetItemsProcessed(state.iterations());
  expect(state, m.ok ? egress.to_client_count + egress.to_peer_count - sent : 0, state.iterations(),
         "ChannelData not relayed");
}
BENCHMARK(BM_Core_ChannelData_ChannelsPerAllocation)
    ->ArgsProduct({{1, 64, 1000}, {0, 1}})
    ->ArgNames({"channels", "p2c"});

}  // namespace
}  // namespace ferry::bench
