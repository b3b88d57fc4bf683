// Pieces of the stateful core fuzzer (fuzz_core.cc): the input reader, an Egress that records
// into fixed buffers, and the independent model of what each client was granted, built only
// from the success responses the client saw.
//
// The model keeps two bounds per deadline because some events leave the core's state open to
// two readings: an Allocate repeating the last success's transaction id after the allocation
// expired (the cached answer, or a new allocation on the same port), a change of the host's
// addresses (what the core revoked). `lo` is when the thing certainly still exists until, `hi`
// when it may exist until. Checks that something must NOT happen use `hi` (the permissive
// bound), checks that something MUST happen use `lo`, so neither can fire on an ambiguity of
// the harness's own making.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "ferry/common/address.h"
#include "ferry/common/bytes.h"
#include "ferry/common/time.h"
#include "ferry/turn/egress.h"

namespace ferry::testing::fuzz {

[[noreturn]] inline void violation(const char* what) {
  std::fprintf(stderr, "fuzz_core: invariant violated: %s\n", what);
  std::abort();
}
inline void require(bool ok, const char* what) {
  if (!ok) violation(what);
}

// Reads the fuzz input front to back; past the end every read is 0 (the run then stops).
class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : p_(data), n_(size) {}
  bool empty() const { return n_ == 0; }
  std::uint8_t u8() {
    if (n_ == 0) return 0;
    --n_;
    return *p_++;
  }
  std::uint16_t u16() { return static_cast<std::uint16_t>(u8() << 8 | u8()); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(u16()) << 16 | u16(); }
  // Up to `len` bytes copied into `out` (zero-filled past the end of the input).
  void bytes(std::uint8_t* out, std::size_t len) {
    for (std::size_t i = 0; i < len; ++i) out[i] = u8();
  }

 private:
  const std::uint8_t* p_;
  std::size_t n_;
};

// What one call into the core emitted, copied into fixed buffers (no heap per packet). A
// to_peer also keeps the pointer it was given: the Egress contract says it lies inside the
// client packet being handled.
class Recorder final : public turn::Egress {
 public:
  static constexpr std::size_t kMaxRecords = 8;
  struct Record {
    bool to_peer = false;
    bool dont_fragment = false;  // through to_peer_dont_fragment
    FiveTuple tuple;
    turn::RelayId relay = 0;
    Address peer;
    const std::uint8_t* given = nullptr;
    std::size_t offset = 0;
    std::size_t size = 0;
  };

  void clear() {
    count_ = 0;
    used_ = 0;
    overflow_ = false;
  }
  void to_client(const FiveTuple& t, Bytes d) override {
    if (Record* r = add(d)) r->tuple = t;
  }
  void to_peer(turn::RelayId relay, const Address& peer, Bytes d) override {
    if (Record* r = add(d)) {
      r->to_peer = true;
      r->relay = relay;
      r->peer = peer;
    }
  }
  void to_peer_dont_fragment(turn::RelayId relay, const Address& peer, Bytes d) override {
    to_peer(relay, peer, d);
    if (count_ > 0 && !overflow_) records_[count_ - 1].dont_fragment = true;
  }
  std::size_t count() const { return count_; }
  bool overflow() const { return overflow_; }
  const Record& at(std::size_t i) const { return records_[i]; }
  Bytes data(const Record& r) const { return Bytes(arena_.data() + r.offset, r.size); }

 private:
  Record* add(Bytes d) {
    if (count_ == kMaxRecords || arena_.size() - used_ < d.size()) {
      overflow_ = true;
      return nullptr;
    }
    Record& r = records_[count_++];
    r = Record{};
    r.given = d.data();
    r.offset = used_;
    r.size = d.size();
    if (!d.empty()) std::memcpy(arena_.data() + used_, d.data(), d.size());
    used_ += d.size();
    return &r;
  }
  std::array<Record, kMaxRecords> records_{};
  std::array<std::uint8_t, 16384> arena_{};
  std::size_t count_ = 0;
  std::size_t used_ = 0;
  bool overflow_ = false;
};

struct Bounds {
  TimePoint lo;  // certainly until (exclusive)
  TimePoint hi;  // possibly until (exclusive)
  // A fresh execution sets the deadline exactly; a retransmission may or may not have.
  void fresh(TimePoint t) { lo = hi = t; }
  void maybe(TimePoint t) {
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
};

struct Permission {
  Address ip;  // port 0
  Bounds until;
};

struct Channel {
  std::uint16_t number = 0;
  Address peer;
  Bounds until;  // usable until; the number and peer stay taken for `rest` more
};

// One client's allocation as the client knows it. A dual allocation (RFC 8656 §7.2) has a
// second relay of the other family with its own lifetime (§8.1); when the first family ends,
// the second takes its place, as in the core (relay_for() picks by the peer's family).
struct Model {
  static constexpr std::size_t kMax = 16;
  bool alive = false;
  bool tcp = false;  // an RFC 6062 TCP allocation: no datagrams either way
  turn::RelayId relay = 0;
  Address relay_address;
  int user = 0;
  Bounds until;  // the first family's lifetime (the allocation's, when it has one family)
  bool dual = false;
  turn::RelayId relay2 = 0;
  Address relay2_address;
  Bounds until2;
  bool counted_v6 = false;  // the family its creation was counted under (the first's then)
  Address answered_first;   // the first XOR-RELAYED-ADDRESS of its Allocate success
  std::array<Permission, kMax> perms{};
  std::size_t nperms = 0;
  std::array<Channel, kMax> chans{};
  std::size_t nchans = 0;
  std::array<std::uint8_t, 12> last_tid{};  // of the last success: the core caches that answer
  TimePoint created;  // for the bandwidth bound: bytes relayed since, each direction
  std::uint64_t bytes_to_peer = 0;
  std::uint64_t bytes_to_client = 0;

  void clear() {
    alive = false;
    tcp = false;
    dual = false;
    last_tid = {};
    nperms = 0;
    nchans = 0;
  }
  // When the allocation ends: when its last family does.
  Bounds end() const {
    if (!dual) return until;
    return {std::max(until.lo, until2.lo), std::max(until.hi, until2.hi)};
  }
  bool serves(Family f) const {
    return alive && (relay_address.family() == f || (dual && f != Family::kNone));
  }
  turn::RelayId relay_for(const Address& peer) const {
    return dual && peer.family() != relay_address.family() ? relay2 : relay;
  }
  bool owns(turn::RelayId id) const { return alive && (relay == id || (dual && relay2 == id)); }
  // One family of a dual allocation ended at `now`: what was granted for it ends with it.
  void drop(bool first, TimePoint now) {
    const Family gone = first ? relay_address.family() : relay2_address.family();
    if (first) {
      relay = relay2;
      relay_address = relay2_address;
      until = until2;
    }
    dual = false;
    for (std::size_t i = 0; i < nperms; ++i) {
      if (perms[i].ip.family() != gone) continue;
      perms[i].until.lo = std::min(perms[i].until.lo, now);
      perms[i].until.hi = std::min(perms[i].until.hi, now);
    }
    for (std::size_t i = 0; i < nchans; ++i) {
      if (chans[i].peer.family() != gone) continue;
      chans[i].until.lo = std::min(chans[i].until.lo, now);
      chans[i].until.hi = std::min(chans[i].until.hi, now);
    }
  }
  Permission* perm(const Address& peer) {
    for (std::size_t i = 0; i < nperms; ++i) {
      if (perms[i].ip.same_ip(peer)) return &perms[i];
    }
    return nullptr;
  }
  Channel* chan_by_number(std::uint16_t n) {
    for (std::size_t i = 0; i < nchans; ++i) {
      if (chans[i].number == n) return &chans[i];
    }
    return nullptr;
  }
  Channel* chan_by_peer(const Address& peer) {
    for (std::size_t i = 0; i < nchans; ++i) {
      if (chans[i].peer == peer) return &chans[i];
    }
    return nullptr;
  }
  // Forgets what can no longer exist (so that the fixed arrays never fill).
  void forget(TimePoint now, Duration rest) {
    std::size_t k = 0;
    for (std::size_t i = 0; i < nperms; ++i) {
      if (perms[i].until.hi > now) perms[k++] = perms[i];
    }
    nperms = k;
    k = 0;
    for (std::size_t i = 0; i < nchans; ++i) {
      if (chans[i].until.hi + rest > now) chans[k++] = chans[i];
    }
    nchans = k;
  }
  Permission& add_perm(const Address& peer) {
    require(nperms < kMax, "more permissions live than the model can hold");
    Permission& p = perms[nperms++];
    p.ip = peer;
    p.ip.set_port(0);
    return p;
  }
  Channel& add_chan() {
    require(nchans < kMax, "more channels live than the model can hold");
    return chans[nchans++];
  }
};

}  // namespace ferry::testing::fuzz
