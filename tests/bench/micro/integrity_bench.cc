// MESSAGE-INTEGRITY (HMAC-SHA1), MESSAGE-INTEGRITY-SHA256 and FINGERPRINT (CRC-32) on a message
// of about 100 bytes, and the stateless nonce's HMAC: the cryptography of a TURN request.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <vector>

#include "alloc_counter.h"
#include "bench_core.h"
#include "ferry/auth/nonce.h"
#include "ferry/stun/attributes.h"
#include "ferry/stun/crc32.h"
#include "ferry/stun/message.h"

namespace ferry::bench {
namespace {

using stun::Class;
using stun::MessageBuilder;
using stun::MessageView;
using stun::Method;

const stun::TransactionId kTid = make_tid(0x0A0B0C0D, 0x01020304);
const auth::Md5Key kKey = auth::md5_key(kUser, kRealm, kPassword);

enum class Seal { kSha1, kSha256, kFingerprint };

// USERNAME, REALM and a 24-character NONCE (76 bytes), then the seal: MESSAGE-INTEGRITY makes
// it 100 bytes, MESSAGE-INTEGRITY-SHA256 112, MESSAGE-INTEGRITY and FINGERPRINT 108.
std::vector<std::uint8_t> sealed_message(Seal seal) {
  std::array<std::uint8_t, 256> buf{};
  MessageBuilder b(buf, Method::kRefresh, Class::kRequest, kTid);
  b.add(stun::attr::Username{kUser});
  b.add(stun::attr::Realm{kRealm});
  b.add(stun::attr::Nonce{"0123456789abcdef01234567"});
  const Bytes key(kKey.data(), kKey.size());
  if (seal == Seal::kSha256) {
    b.add_message_integrity_sha256(key);
  } else {
    b.add_message_integrity(key);
  }
  if (seal == Seal::kFingerprint) b.add_fingerprint();
  Bytes m = b.finish();
  return std::vector<std::uint8_t>(m.begin(), m.end());
}

template <class F>
void check_loop(benchmark::State& state, Seal seal, F&& check) {
  const auto msg = sealed_message(seal);
  auto m = MessageView::parse(bytes_of(msg));
  if (!m) {
    state.SkipWithError("message does not parse");
    return;
  }
  std::size_t bad = 0;
  const auto allocs = allocation_count();
  for (auto _ : state) {
    if (!check(*m)) ++bad;
  }
  report_allocations(state, allocs);
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes"] = static_cast<double>(msg.size());
  if (bad != 0) state.SkipWithError("check failed");
}

void BM_Integrity_CheckHmacSha1(benchmark::State& state) {
  check_loop(state, Seal::kSha1, [](const MessageView& m) {
    return stun::check_message_integrity(m, Bytes(kKey.data(), kKey.size()));
  });
}
BENCHMARK(BM_Integrity_CheckHmacSha1);

void BM_Integrity_CheckHmacSha256(benchmark::State& state) {
  check_loop(state, Seal::kSha256, [](const MessageView& m) {
    return stun::check_message_integrity_sha256(m, Bytes(kKey.data(), kKey.size()));
  });
}
BENCHMARK(BM_Integrity_CheckHmacSha256);

// check_fingerprint(): CRC-32 over the 100 bytes before FINGERPRINT.
void BM_Integrity_CheckFingerprintCrc32(benchmark::State& state) {
  check_loop(state, Seal::kFingerprint, [](const MessageView& m) {
    benchmark::DoNotOptimize(m);
    return stun::check_fingerprint(m);
  });
}
BENCHMARK(BM_Integrity_CheckFingerprintCrc32);

// The server's side of every authenticated response: MESSAGE-INTEGRITY written by the builder.
void BM_Integrity_SignHmacSha1(benchmark::State& state) {
  std::array<std::uint8_t, 256> buf{};
  std::size_t size = 0;
  const auto allocs = allocation_count();
  for (auto _ : state) {
    MessageBuilder b(buf, Method::kRefresh, Class::kSuccess, kTid);
    b.add(stun::attr::Lifetime{600});
    b.add_message_integrity(Bytes(kKey.data(), kKey.size()));
    Bytes m = b.finish();
    size = m.size();
    benchmark::DoNotOptimize(m);
  }
  report_allocations(state, allocs);
  state.SetItemsProcessed(state.iterations());
  if (size == 0) state.SkipWithError("build failed");
}
BENCHMARK(BM_Integrity_SignHmacSha1);

// The stateless nonce (HMAC-SHA256): made for every 401/438, checked on every signed request.
void BM_Integrity_NonceMake(benchmark::State& state) {
  const auth::NonceCodec codec(auth::NonceCodec::Key{7});
  const Address client = client_tuple(1).client;
  const TimePoint now = TimePoint(Seconds(1000000));
  const auto allocs = allocation_count();
  for (auto _ : state) {
    auto n = codec.make(client, now, Seconds(600));
    benchmark::DoNotOptimize(n);
  }
  report_allocations(state, allocs);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Integrity_NonceMake);

void BM_Integrity_NonceCheck(benchmark::State& state) {
  const auth::NonceCodec codec(auth::NonceCodec::Key{7});
  const Address client = client_tuple(1).client;
  const TimePoint now = TimePoint(Seconds(1000000));
  const auto nonce = codec.make(client, now, Seconds(600));
  std::size_t bad = 0;
  const auto allocs = allocation_count();
  for (auto _ : state) {
    if (codec.check(auth::as_view(nonce), client, now) != auth::NonceCodec::Verdict::kValid) ++bad;
  }
  report_allocations(state, allocs);
  state.SetItemsProcessed(state.iterations());
  if (bad != 0) state.SkipWithError("nonce rejected");
}
BENCHMARK(BM_Integrity_NonceCheck);

}  // namespace
}  // namespace ferry::bench
