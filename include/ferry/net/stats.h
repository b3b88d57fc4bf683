// What a worker's network layer counts, beside its core's turn::Counters; read by /metrics
// from another thread (one writer each, see turn::Counter).
#pragma once

#include "ferry/turn/counters.h"

namespace ferry::net {

struct NetCounters {
  // How late the worker's one-second tick ran last time, in microseconds: a loop busy with
  // packets (or blocked) shows here before clients notice.
  turn::Gauge loop_lag_us;
  turn::Gauge loop_lag_max_us;  // the worst since start
  turn::Counter tcp_accepted;
  turn::Counter tcp_closed;
  turn::Counter tcp_refused;        // over the per-worker connection bound
  turn::Counter dropped_oversized;  // datagrams larger than the receive buffer
};

// One worker's counters, valid while the Runtime runs.
struct WorkerStats {
  const turn::Counters* core = nullptr;
  const NetCounters* net = nullptr;
};

}  // namespace ferry::net
