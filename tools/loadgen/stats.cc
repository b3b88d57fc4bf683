#include "loadgen/stats.h"

#include <cinttypes>

namespace ferry::loadgen {

Latency::Latency() : buckets_(kBuckets + 1, 0) {}

void Latency::add(std::uint64_t ns) {
  const std::uint64_t us = ns / 1000;
  ++buckets_[us < kBuckets ? us : kBuckets];
  ++count_;
  if (ns > max_ns_) max_ns_ = ns;
}

double Latency::quantile_us(double q) const {
  if (count_ == 0) return 0;
  auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_));
  if (rank == 0) rank = 1;
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += buckets_[i];
    if (seen >= rank) return static_cast<double>(i) + 0.5;  // the bucket's middle
  }
  return max_us();
}

void print_direction(std::FILE* out, const char* name, const DirectionStats& s) {
  const double loss =
      s.sent == 0 ? 0.0 : 100.0 * static_cast<double>(s.lost()) / static_cast<double>(s.sent);
  std::fprintf(out,
               "%s sent=%" PRIu64 " received=%" PRIu64 " lost=%" PRIu64
               " loss=%.4f%%"
               " send_errors=%" PRIu64 " duplicates=%" PRIu64 " misrouted=%" PRIu64
               " p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f\n",
               name, s.sent, s.received, s.lost(), loss, s.send_errors, s.duplicates(),
               s.wrong_allocation, s.latency.quantile_us(0.50), s.latency.quantile_us(0.90),
               s.latency.quantile_us(0.99), s.latency.max_us());
}

}  // namespace ferry::loadgen
