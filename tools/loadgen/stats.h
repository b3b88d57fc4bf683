// Counters and a latency histogram per direction, and how ferry-loadgen prints them.
#pragma once

#include <cstdint>
#include <cstdio>
#include <vector>

namespace ferry::loadgen {

// One-microsecond buckets up to 100 ms, then one overflow bucket; the maximum is kept exactly.
class Latency {
 public:
  Latency();
  void add(std::uint64_t ns);
  // The q-quantile (0 < q <= 1) in microseconds; the overflow bucket reports the maximum.
  double quantile_us(double q) const;
  double max_us() const { return static_cast<double>(max_ns_) / 1000.0; }
  std::uint64_t count() const { return count_; }

 private:
  static constexpr std::size_t kBuckets = 100000;
  std::vector<std::uint32_t> buckets_;
  std::uint64_t count_ = 0;
  std::uint64_t max_ns_ = 0;
};

struct DirectionStats {
  std::uint64_t sent = 0;              // accepted by the local socket
  std::uint64_t send_errors = 0;       // refused by the local socket (buffer full): not sent
  std::uint64_t received = 0;          // stamped packets of this direction that arrived
  std::uint64_t wrong_allocation = 0;  // arrived at a socket other than the stamp's
  Latency latency;

  std::uint64_t lost() const { return received >= sent ? 0 : sent - received; }
  std::uint64_t duplicates() const { return received > sent ? received - sent : 0; }
};

// One line per direction: "c2p sent=... received=... lost=... loss=...% p50_us=... ...".
void print_direction(std::FILE* out, const char* name, const DirectionStats& s);

}  // namespace ferry::loadgen
