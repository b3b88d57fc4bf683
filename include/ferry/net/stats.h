// What a worker's network layer counts, beside its core's turn::Counters; read by /metrics
// from another thread (one writer each, see turn::Counter).
#pragma once

#include "ferry/turn/counters.h"

namespace ferry::net {

struct NetCounters {
  // How late the worker's one-second tick ran last time, in microseconds: a loop busy with
  // packets (or blocked) shows here before clients notice.
  turn::Gauge loop_lag_us;
  turn::Gauge loop_lag_max_us;   // the worst since start
  turn::Gauge tcp_output_bytes;  // queued for TCP clients (at the last tick)
  turn::Counter tcp_accepted;
  turn::Counter tcp_closed;
  turn::Counter tcp_refused;          // over the total connection bound
  turn::Counter tcp_refused_per_ip;   // over the per-address bound (max-tcp-connections-per-ip)
  turn::Counter tcp_closed_idle;      // no allocation, no complete message for the idle timeout
  turn::Counter tcp_closed_slow;      // a frame not complete within its deadline
  turn::Counter tcp_closed_stalled;   // output pending and not moving
  turn::Counter accept_pauses;        // accept() failed (EMFILE...): the listener paused
  turn::Counter dropped_oversized;    // datagrams larger than the receive buffer
  turn::Counter dropped_output_full;  // messages for a TCP client whose output is full
};

// One worker's counters, valid while the Runtime runs.
struct WorkerStats {
  const turn::Counters* core = nullptr;
  const NetCounters* net = nullptr;
};

}  // namespace ferry::net
