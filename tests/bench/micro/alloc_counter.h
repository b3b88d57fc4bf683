// Counts heap allocations in ferry_microbench (operator new and OpenSSL's, see alloc_counter.cc),
// so that every benchmark can report its heap allocations per iteration next to its time.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>

namespace ferry::bench {

// Heap allocations since the process started (single-threaded benchmarks only).
std::uint64_t allocation_count();

// Adds the counter "allocs/iter": heap allocations since `before`, per iteration. Call it after
// the timed loop with `before` taken just ahead of it.
inline void report_allocations(benchmark::State& state, std::uint64_t before) {
  state.counters["allocs/iter"] = benchmark::Counter(
      static_cast<double>(allocation_count() - before), benchmark::Counter::kAvgIterations);
}

}  // namespace ferry::bench
