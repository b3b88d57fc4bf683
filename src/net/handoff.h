// Client connections handed from one worker to another (DESIGN.md section 2: the rare
// cross-worker case). An RFC 6062 ConnectionBind arrives on whichever worker the kernel gave
// the new connection to; the peer connection it names lives on the worker that owns the
// allocation (the id says which: TcpRelays::owner()). The receiving worker gives the
// connection up (its descriptor, its TLS session, the bytes it has read and not handled) and
// the owner adopts it as if it had accepted it, then handles the ConnectionBind itself.
//
// One queue per worker behind a mutex (touched per handed connection, never per packet),
// and an eventfd that wakes the owner's loop. Bounded: a full queue refuses the connection.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "ferry/common/address.h"
#include "ferry/common/expected.h"

struct ssl_st;

namespace ferry::net {

struct HandedConnection {
  int fd = -1;
  ssl_st* ssl = nullptr;  // TLS: the session, established (the owner continues it)
  FiveTuple tuple;
  std::vector<std::uint8_t> input;   // read from the client and not handled yet
  std::vector<std::uint8_t> output;  // answers to its earlier messages, not yet written
};

class Handoffs {
 public:
  static Expected<std::unique_ptr<Handoffs>> create(unsigned workers);
  ~Handoffs();  // closes what was never taken
  Handoffs(const Handoffs&) = delete;
  Handoffs& operator=(const Handoffs&) = delete;

  // Thread-safe. False (the caller still owns `c`) when `worker`'s queue is full.
  bool push(unsigned worker, HandedConnection&& c);
  // Everything queued for `worker` (called on that worker's thread when wake_fd is readable).
  std::vector<HandedConnection> take(unsigned worker);
  int wake_fd(unsigned worker) const { return queues_[worker]->fd; }

  // Connections waiting for one worker at most: each holds a descriptor and a connection slot.
  static constexpr std::size_t kQueueLimit = 4096;

 private:
  Handoffs() = default;
  struct Queue {
    std::mutex mu;
    std::deque<HandedConnection> items;
    int fd = -1;  // eventfd
  };
  std::vector<std::unique_ptr<Queue>> queues_;
};

// Frees what a HandedConnection holds (a refused or abandoned handoff).
void discard(HandedConnection& c);

}  // namespace ferry::net
