// Counters and gauges that one thread writes and others read (/metrics reads the workers'
// counters from the HTTP thread). Used by the core and the network layer alike.
#pragma once

#include <atomic>
#include <cstdint>

namespace ferry {

// One writer (the worker thread), any number of readers. A relaxed load and store instead of
// fetch_add: with a single writer no increment is lost, and the store compiles to a plain move
// (no locked instruction on the packet path), while the scrape still reads a whole value.
class Counter {
 public:
  void add(std::uint64_t n) {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  Counter& operator++() {
    add(1);
    return *this;
  }
  std::uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

// A value one thread sets and others read (the last event-loop lag, say).
class Gauge {
 public:
  void set(std::uint64_t v) { v_.store(v, std::memory_order_relaxed); }
  std::uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

}  // namespace ferry
