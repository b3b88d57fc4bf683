// What a worker's network layer counts, beside its core's turn::Counters; read by /metrics
// from another thread (one writer each, see ferry::Counter).
#pragma once

#include "ferry/common/counter.h"
#include "ferry/turn/counters.h"

namespace ferry::net {

struct NetCounters {
  // How late the worker's one-second tick ran last time, in microseconds: a loop busy with
  // packets (or blocked) shows here before clients notice.
  Gauge loop_lag_us;
  Gauge loop_lag_max_us;   // the worst since start
  Gauge tcp_output_bytes;  // queued for TCP clients (at the last tick)
  Counter tcp_accepted;
  Counter tcp_closed;
  Counter tcp_refused;         // over the total connection bound
  Counter tcp_refused_per_ip;  // over the per-address bound (max-tcp-connections-per-ip)
  Counter tls_refused_rate;    // a TLS handshake over its source's rate (tls-handshake-rate)
  Counter dtls_accepted;       // DTLS sessions started (after the cookie exchange)
  Counter dtls_closed;
  Counter tcp_closed_idle;      // no allocation, no complete message for the idle timeout
  Counter tcp_closed_slow;      // a frame not complete within its deadline
  Counter tcp_closed_stalled;   // output pending and not moving
  Counter accept_pauses;        // accept() failed (EMFILE...): the listener paused
  Counter dropped_oversized;    // datagrams larger than the receive buffer
  Counter dropped_output_full;  // messages for a TCP client whose output is full
  // RFC 6062 TCP relays (src/net/tcp_relays.h).
  Counter tcp_relay_refused;           // a peer connection over a connection limit
  Counter tcp_relay_timeouts;          // a Connect not connected, or a peer never bound, in 30 s
  Counter tcp_relay_handoffs;          // ConnectionBind connections handed to the owner worker
  Counter tcp_relay_handoffs_refused;  // the owner's queue was full: closed
  Counter tcp_relay_bytes_to_peer;     // piped from client data connections
  Counter tcp_relay_bytes_to_client;   // piped from peer data connections
};

// One worker's counters, valid while the Runtime runs.
struct WorkerStats {
  const turn::Counters* core = nullptr;
  const NetCounters* net = nullptr;
};

}  // namespace ferry::net
