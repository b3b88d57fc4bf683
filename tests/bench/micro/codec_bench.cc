// The pure codec (include/ferry/stun): parsing STUN messages in place, building a response into
// a caller buffer, and the ChannelData header check of the relay's hot path.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <vector>

#include "alloc_counter.h"
#include "bench_core.h"
#include "ferry/stun/attributes.h"
#include "ferry/stun/channel_data.h"
#include "ferry/stun/message.h"

namespace ferry::bench {
namespace {

using stun::Class;
using stun::MessageBuilder;
using stun::MessageView;
using stun::Method;

const stun::TransactionId kTid = make_tid(0x01020304, 0x05060708);

std::vector<std::uint8_t> to_vector(Bytes b) {
  return std::vector<std::uint8_t>(b.begin(), b.end());
}

// A Binding request as stunclient sends it: the 20-byte header, no attributes.
std::vector<std::uint8_t> binding_request(bool fingerprint) {
  std::array<std::uint8_t, 64> buf{};
  MessageBuilder b(buf, Method::kBinding, Class::kRequest, kTid);
  if (fingerprint) b.add_fingerprint();
  return to_vector(b.finish());
}

// An authenticated Allocate as a long-term-credential client sends it: REQUESTED-TRANSPORT,
// USERNAME, REALM, a 48-character NONCE (Ferry's length) and MESSAGE-INTEGRITY: 132 bytes.
std::vector<std::uint8_t> authenticated_allocate() {
  std::array<std::uint8_t, 256> buf{};
  Core core;
  auto nonce = core.nonces.make(client_tuple(1).client, core.now, core.settings.nonce_lifetime);
  return to_vector(
      build_request(buf, Method::kAllocate, kTid, auth::as_view(nonce), core.key, add_udp));
}

template <class F>
void parse_loop(benchmark::State& state, const std::vector<std::uint8_t>& msg, F&& check) {
  const Bytes in = bytes_of(msg);
  std::size_t bad = 0;
  const auto allocs = allocation_count();
  for (auto _ : state) {
    Bytes p = in;
    benchmark::DoNotOptimize(p);
    auto m = MessageView::parse(p);
    if (!m || !check(*m)) ++bad;
    benchmark::DoNotOptimize(m);
  }
  report_allocations(state, allocs);
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(msg.size()));
  if (bad != 0) state.SkipWithError("parse failed");
}

void BM_Codec_ParseBindingRequest(benchmark::State& state) {
  parse_loop(state, binding_request(false),
             [](const MessageView& m) { return m.is(Method::kBinding, Class::kRequest); });
}
BENCHMARK(BM_Codec_ParseBindingRequest);

// The same with FINGERPRINT: parse() checks its CRC-32 over the message.
void BM_Codec_ParseBindingRequestFingerprint(benchmark::State& state) {
  parse_loop(state, binding_request(true), [](const MessageView& m) {
    return m.is(Method::kBinding, Class::kRequest) && m.has_fingerprint();
  });
}
BENCHMARK(BM_Codec_ParseBindingRequestFingerprint);

void BM_Codec_ParseAuthenticatedAllocate(benchmark::State& state) {
  parse_loop(state, authenticated_allocate(), [](const MessageView& m) {
    return m.is(Method::kAllocate, Class::kRequest) && m.attribute_count() == 5;
  });
}
BENCHMARK(BM_Codec_ParseAuthenticatedAllocate);

// The parse plus the attribute reads authenticate() and handle_allocate() make (no HMAC).
void BM_Codec_ParseAuthenticatedAllocateAndRead(benchmark::State& state) {
  parse_loop(state, authenticated_allocate(), [](const MessageView& m) {
    auto user = m.get<stun::attr::Username>();
    auto realm = m.get<stun::attr::Realm>();
    auto nonce = m.get<stun::attr::Nonce>();
    auto transport = m.get<stun::attr::RequestedTransport>();
    return m.message_integrity() && user && realm && nonce && transport &&
           !m.has<stun::attr::DontFragment>() && !m.has<stun::attr::ReservationToken>();
  });
}
BENCHMARK(BM_Codec_ParseAuthenticatedAllocateAndRead);

// A Binding success response with XOR-MAPPED-ADDRESS, SOFTWARE and FINGERPRINT (52 bytes).
void BM_Codec_BuildBindingResponse(benchmark::State& state) {
  std::array<std::uint8_t, 1500> out{};
  const Address client = client_tuple(1).client;
  std::size_t size = 0;
  const auto allocs = allocation_count();
  for (auto _ : state) {
    MessageBuilder b(out, Method::kBinding, Class::kSuccess, kTid);
    b.add(stun::attr::XorMappedAddress{client});
    b.add(stun::attr::Software{"Ferry"});
    b.add_fingerprint();
    Bytes msg = b.finish();
    size = msg.size();
    benchmark::DoNotOptimize(msg);
    benchmark::ClobberMemory();
  }
  report_allocations(state, allocs);
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes"] = static_cast<double>(size);
  if (size == 0) state.SkipWithError("build failed");
}
BENCHMARK(BM_Codec_BuildBindingResponse);

// ChannelDataView::parse of a 100-byte payload over UDP (the header check on the hot path).
void BM_Codec_ParseChannelData(benchmark::State& state) {
  const auto frame = channel_data_frame(kChannel, 100);
  const Bytes in = bytes_of(frame);
  std::size_t bad = 0;
  const auto allocs = allocation_count();
  for (auto _ : state) {
    Bytes p = in;
    benchmark::DoNotOptimize(p);
    auto cd = stun::ChannelDataView::parse(p, false);
    if (!cd || cd->data.size() != 100) ++bad;
    benchmark::DoNotOptimize(cd);
  }
  report_allocations(state, allocs);
  state.SetItemsProcessed(state.iterations());
  if (bad != 0) state.SkipWithError("parse failed");
}
BENCHMARK(BM_Codec_ParseChannelData);

}  // namespace
}  // namespace ferry::bench
