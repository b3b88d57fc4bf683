// Work handed from one worker to another (DESIGN.md section 2: the rare cross-worker cases).
// An RFC 6062 ConnectionBind arrives on whichever worker the kernel gave the new connection to;
// the peer connection it names lives on the worker that owns the allocation (the id says which:
// TcpRelays::owner()). The receiving worker gives the connection up (its descriptor, its TLS
// session, the bytes it has read and not handled) and the owner adopts it as if it had accepted
// it, then handles the ConnectionBind itself. RFC 8016 mobility moves an allocation the same
// way (worker_mobility.cc): a MoveAsk to the owner, a MoveAnswer back.
//
// Mailboxes<T>: one queue per worker behind a mutex (touched per handed item, never per
// packet), and an eventfd that wakes the worker's loop. Bounded: a full queue refuses the item
// (the caller still owns it). reserve() holds a place for an item that must not be refused
// later (a mobility answer: the allocation is detached only when its answer has a place).
// What is never taken is freed by discard(T&), found by argument-dependent lookup.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ferry/common/address.h"
#include "ferry/common/expected.h"

struct ssl_st;

namespace ferry::net {

// An eventfd for waking a loop; -1 and errno when none could be made.
int make_wake_fd();
// Adds one wake-up; reads (and so resets) them all.
void wake(int fd);
void drain_wakes(int fd);
void close_wake_fd(int fd);

template <class T>
class Mailboxes {
 public:
  static Expected<std::unique_ptr<Mailboxes>> create(unsigned workers, std::size_t limit) {
    std::unique_ptr<Mailboxes> m(new Mailboxes(limit));
    for (unsigned i = 0; i < workers; ++i) {
      auto q = std::make_unique<Queue>();
      q->fd = make_wake_fd();
      if (q->fd < 0) return fail("eventfd for a worker's mailbox failed");
      m->queues_.push_back(std::move(q));
    }
    return m;
  }
  ~Mailboxes() {  // frees what was never taken
    for (auto& q : queues_) {
      for (auto& item : q->items) discard(item);
      close_wake_fd(q->fd);
    }
  }
  Mailboxes(const Mailboxes&) = delete;
  Mailboxes& operator=(const Mailboxes&) = delete;

  // Thread-safe. False (the caller still owns `item`) when `worker`'s queue is full.
  bool push(unsigned worker, T&& item) {
    if (worker >= queues_.size()) return false;
    Queue& q = *queues_[worker];
    {
      std::lock_guard<std::mutex> lock(q.mu);
      if (q.items.size() + q.reserved >= limit_) return false;
      q.items.push_back(std::move(item));
    }
    wake(q.fd);
    return true;
  }
  // Holds one place in `worker`'s queue for push_reserved(); false when full.
  bool reserve(unsigned worker) {
    if (worker >= queues_.size()) return false;
    Queue& q = *queues_[worker];
    std::lock_guard<std::mutex> lock(q.mu);
    if (q.items.size() + q.reserved >= limit_) return false;
    ++q.reserved;
    return true;
  }
  // Uses a place reserve() held: never refused.
  void push_reserved(unsigned worker, T&& item) {
    Queue& q = *queues_[worker];
    {
      std::lock_guard<std::mutex> lock(q.mu);
      if (q.reserved > 0) --q.reserved;
      q.items.push_back(std::move(item));
    }
    wake(q.fd);
  }
  // Everything queued for `worker` (called on that worker's thread when wake_fd is readable).
  std::vector<T> take(unsigned worker) {
    Queue& q = *queues_[worker];
    drain_wakes(q.fd);  // reset the wake-up before taking: none is lost
    std::lock_guard<std::mutex> lock(q.mu);
    std::vector<T> out(std::make_move_iterator(q.items.begin()),
                       std::make_move_iterator(q.items.end()));
    q.items.clear();
    return out;
  }
  int wake_fd(unsigned worker) const { return queues_[worker]->fd; }
  unsigned workers() const { return static_cast<unsigned>(queues_.size()); }

 private:
  explicit Mailboxes(std::size_t limit) : limit_(limit) {}
  struct Queue {
    std::mutex mu;
    std::deque<T> items;
    std::size_t reserved = 0;
    int fd = -1;  // eventfd
  };
  std::size_t limit_;
  std::vector<std::unique_ptr<Queue>> queues_;
};

struct HandedConnection {
  int fd = -1;
  ssl_st* ssl = nullptr;  // TLS: the session, established (the owner continues it)
  FiveTuple tuple;
  std::vector<std::uint8_t> input;   // read from the client and not handled yet
  std::vector<std::uint8_t> output;  // answers to its earlier messages, not yet written
};

// Frees what a HandedConnection holds (a refused or abandoned handoff).
void discard(HandedConnection& c);

// RFC 6062 ConnectionBind connections. Each waiting one holds a descriptor and a connection
// slot: at most 4,096 per worker.
using Handoffs = Mailboxes<HandedConnection>;
inline constexpr std::size_t kHandoffQueueLimit = 4096;

}  // namespace ferry::net
