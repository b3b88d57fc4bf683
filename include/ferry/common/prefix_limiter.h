// A per-source-prefix rate budget. Two users:
// - the core's budget for the answers a spoofed request can obtain (issue 16 item 10):
//   Binding responses, 401/438 challenges and other replies without MESSAGE-INTEGRITY to UDP
//   sources. Such a reply proves nothing about who asked, so a request with a forged source
//   address turns the server into a reflector aimed at that address (a 20-byte request buys a
//   116-byte 401), the risk RFC 8489 §16 (security considerations) leaves to implementations;
// - the network layer's budget of TLS handshakes per source prefix (tls-handshake-rate): a
//   handshake costs the server a key exchange and a signature, far more than the client.
//
// Pure and fixed-size: time is an argument, the table is allocated once at construction and
// never grows, allow() is O(1) with no allocation.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "ferry/common/address.h"
#include "ferry/common/time.h"

namespace ferry {

class PrefixLimiter {
 public:
  // A set is four ways of (key, bucket): 64 bytes, one cache line per lookup.
  static constexpr std::size_t kWays = 4;
  static constexpr std::size_t kSets = 2048;
  // Prefixes tracked at once, each exactly; more busy prefixes share their set's overflow
  // bucket (see allow()).
  static constexpr std::size_t kCapacity = kSets * kWays;

  // `rate` answers per second per prefix, at most `burst` at once (burst >= 1). rate 0: off.
  PrefixLimiter(std::uint32_t rate, std::uint32_t burst);

  bool enabled() const { return sets_ != nullptr; }
  // True when one more answer to `source` fits its prefix's budget (and takes it).
  bool allow(const Address& source, TimePoint now);

  // Prefixes currently holding a way (for tests): never above kCapacity.
  std::size_t occupied() const;
  // The table's memory, fixed at construction.
  std::size_t memory_bytes() const;

  // The bucket key: the family and the source's /24 (IPv4) or /56 (IPv6); an IPv4-mapped IPv6
  // address counts as its IPv4 address. Never 0 (0 marks an empty way).
  static std::uint64_t prefix_key(const Address& source);

 private:
  // Buckets are GCRA (the virtual-scheduling form of a token bucket): one "theoretical arrival
  // time" per bucket instead of a token count and a refill stamp. A bucket whose tat is at or
  // before `now` is full.
  struct alignas(64) Set {
    std::array<std::uint64_t, kWays> key{};
    std::array<std::int64_t, kWays> tat{};
  };
  bool take(std::int64_t& tat, std::int64_t now) const;

  std::int64_t interval_ns_ = 0;   // one answer's worth of time: 1 s / rate
  std::int64_t tolerance_ns_ = 0;  // (burst - 1) intervals: how far ahead tat may run
  std::unique_ptr<Set[]> sets_;
  std::unique_ptr<std::int64_t[]> overflow_tat_;  // one per set
};

}  // namespace ferry
