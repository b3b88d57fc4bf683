// Why the limiter is shaped the way it is.
//
// Key: the source's /24 (IPv4) or /56 (IPv6), not its address. A reflection attack aims at a
// network, not a host: with a per-address budget the attacker spoofs every address of the
// victim's /24 (or 2^72 addresses of a /56) and multiplies the budget by as many. /24 is the
// longest IPv4 prefix routed between networks, so a victim's link is at least that wide; /56
// is the usual delegation to an IPv6 site (RFC 6177 recommends giving end sites far more than
// one /64; /56 is what residential ISPs hand out), so one /56 is one customer's link and an
// attacker cannot spread over its 256 /64s. The price is that clients behind one /24 (a big NAT, a
// carrier-grade NAT pool) share a budget: hence a default far above what they need.
//
// Table: 2048 sets of 4 ways, allocated once. A prefix keeps its way while its bucket is below
// full; a way whose bucket is full again (tat <= now) is idle and the next new prefix in that
// set may take it. Evicting only full buckets loses nothing: a prefix that comes back starts
// full, which is exactly the state it was evicted in. So an attacker cannot reset a victim's
// budget by making it lose its way: while the victim's bucket is drained it cannot be evicted.
// When all four ways of a set are busy, a newcomer is charged to the set's one overflow bucket
// (same rate and burst). An attacker who keeps a set busy therefore moves the victim onto a
// bucket that is just as limited, never onto none: the most a victim can receive is its own
// budget plus the overflow's, twice the configured one. Legitimate prefixes pushed into the
// overflow share it with the attacker, which costs the attacker five busy prefixes' worth of
// requests per set; draining the victim's own prefix directly is cheaper (and unavoidable for
// any per-source limit: spoofed requests spend the budget of the address they claim).
// The set index is a fixed multiplicative hash (no secret): knowing it only lets an attacker
// pick the set, which the paragraph above already allows for.
#include "ferry/common/prefix_limiter.h"

#include <bit>
#include <cstring>

namespace ferry {

namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
constexpr std::uint64_t kTagV4 = 0x04;
constexpr std::uint64_t kTagV6 = 0x06;
constexpr std::uint64_t kTagOther = 0xEE;

std::int64_t nanos(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

std::uint64_t v4_key(const std::uint8_t* ip) {
  return kTagV4 << 56 | std::uint64_t{ip[0]} << 16 | std::uint64_t{ip[1]} << 8 | ip[2];
}

bool is_v4_mapped(const std::array<std::uint8_t, 16>& ip) {
  static constexpr std::array<std::uint8_t, 12> kPrefix = {0, 0, 0, 0, 0,    0,
                                                           0, 0, 0, 0, 0xFF, 0xFF};
  return std::memcmp(ip.data(), kPrefix.data(), kPrefix.size()) == 0;
}

std::size_t set_index(std::uint64_t key) {
  static_assert((PrefixLimiter::kSets & (PrefixLimiter::kSets - 1)) == 0);
  constexpr int kBits = std::countr_zero(PrefixLimiter::kSets);
  return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ULL) >> (64 - kBits));
}

}  // namespace

PrefixLimiter::PrefixLimiter(std::uint32_t rate, std::uint32_t burst) {
  if (rate == 0) return;
  // Rounded up, so the rate served never exceeds the rate configured.
  interval_ns_ = (kNanosPerSecond + rate - 1) / rate;
  tolerance_ns_ = interval_ns_ * (static_cast<std::int64_t>(burst > 0 ? burst : 1) - 1);
  sets_ = std::make_unique<Set[]>(kSets);
  overflow_tat_ = std::make_unique<std::int64_t[]>(kSets);
}

std::uint64_t PrefixLimiter::prefix_key(const Address& source) {
  const auto& ip = source.raw();
  if (source.is_v4()) return v4_key(ip.data());
  if (source.is_v6()) {
    // A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d; a /56 of that would put the
    // whole IPv4 Internet in one bucket.
    if (is_v4_mapped(ip)) return v4_key(ip.data() + 12);
    std::uint64_t prefix = 0;
    for (std::size_t i = 0; i < 7; ++i) prefix = prefix << 8 | ip[i];
    return kTagV6 << 56 | prefix;
  }
  return kTagOther << 56;
}

// GCRA: an answer is due one interval after the previous one; up to `burst` may be early.
bool PrefixLimiter::take(std::int64_t& tat, std::int64_t now) const {
  const std::int64_t start = tat > now ? tat : now;
  if (start - now > tolerance_ns_) return false;
  tat = start + interval_ns_;
  return true;
}

bool PrefixLimiter::allow(const Address& source, TimePoint now) {
  if (!enabled()) return true;
  const std::uint64_t key = prefix_key(source);
  const std::int64_t t = nanos(now);
  const std::size_t index = set_index(key);
  Set& set = sets_[index];
  for (std::size_t w = 0; w < kWays; ++w) {
    if (set.key[w] == key) return take(set.tat[w], t);
  }
  for (std::size_t w = 0; w < kWays; ++w) {
    if (set.key[w] == 0 || set.tat[w] <= t) {  // empty, or idle: its bucket is full again
      set.key[w] = key;
      set.tat[w] = t;
      return take(set.tat[w], t);
    }
  }
  return take(overflow_tat_[index], t);
}

std::size_t PrefixLimiter::occupied() const {
  if (!enabled()) return 0;
  std::size_t n = 0;
  for (std::size_t s = 0; s < kSets; ++s) {
    for (std::uint64_t k : sets_[s].key) n += k != 0 ? 1 : 0;
  }
  return n;
}

std::size_t PrefixLimiter::memory_bytes() const {
  return enabled() ? kSets * (sizeof(Set) + sizeof(std::int64_t)) : 0;
}

}  // namespace ferry
