// The relay sockets of one worker (RFC 8656 §7.2): one UDP socket per allocation, bound to a
// port drawn at random (CSPRNG) from min-port..max-port. They sit in one epoll set of their
// own, which is a single event on the worker's loop: a wake-up drains every ready relay
// socket and then ends the batch once (the worker sends everything queued for clients in as
// few sendmmsg calls as possible), instead of one libevent callback and one flush per socket.
#pragma once

#include <event2/event.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ferry/common/expected.h"
#include "ferry/event/event_loop.h"
#include "ferry/turn/egress.h"
#include "ferry/turn/mobility.h"
#include "ferry/turn/relay_registry.h"
#include "reservations.h"

namespace ferry::net {

class RelayPool final : public turn::RelayAllocator {
 public:
  // Called for every readable relay socket with its id and descriptor.
  using OnReadable = std::function<void(turn::RelayId, int fd)>;
  // Called after the ready sockets of one wake-up were handled.
  using OnBatchEnd = std::function<void()>;

  // min-port..max-port and relay-device (no defaults here: the option rows have them).
  struct Range {
    std::uint16_t min_port;
    std::uint16_t max_port;
    std::string device;  // empty for none
  };
  // The pool with its epoll set registered on `base`, or why not. `registry` (may be null):
  // the relays open on every worker, used as the free-port map so a full range is known
  // without binding every port; the pool marks what it opens and closes.
  static Expected<std::unique_ptr<RelayPool>> create(event_base* base, Range range,
                                                     Reservations& reservations,
                                                     OnReadable on_readable,
                                                     OnBatchEnd on_batch_end,
                                                     turn::RelayRegistry* registry = nullptr);
  ~RelayPool() override;
  RelayPool(const RelayPool&) = delete;
  RelayPool& operator=(const RelayPool&) = delete;

  Result<turn::Relay> open(const Address& ip, bool even_port) override;
  // Stops reading the relay and frees its id, but keeps its descriptor open until
  // release_closed(): a send batch may still name that descriptor, and a number closed now
  // is reused by the next socket any thread opens (the queued payload would then leave from
  // another allocation's relay or enter another client's TCP connection).
  void close(turn::RelayId id) override;
  // Closes the descriptors of relays closed since the last call. The owner calls it only when
  // no send batch holds one of them (after flushing).
  void release_closed() {
    if (!closing_.empty()) close_pending();  // inline: called after every batch
  }
  Result<Token> reserve(const Address& ip_port, std::string_view owner,
                        const turn::RealmLimits& realm, TimePoint now) override;
  Result<turn::Relay> claim(const Token& token, TimePoint now) override;
  bool can_dont_fragment() const override;
  bool set_dont_fragment(turn::RelayId id) override;
  // RFC 8016 mobility: the relay leaves this pool without being closed (its descriptor goes
  // with the allocation to another worker's pool; it stays marked in the registry), joins
  // this pool under a new id (on failure the descriptor is left to the caller), or, adopted
  // by nobody, is closed and unmarked.
  Result<turn::MovedRelay> detach(turn::RelayId id);
  Result<turn::Relay> attach(const turn::MovedRelay& moved);
  void close_moved(const turn::MovedRelay& moved);
  // Whether the relay sends everything with DF (set_dont_fragment was called on it).
  bool dont_fragment(turn::RelayId id) const { return id < df_.size() && df_[id]; }

  // The descriptor of an open relay, -1 if none.
  int fd(turn::RelayId id) const { return id < fds_.size() ? fds_[id] : -1; }
  std::size_t open_count() const { return open_; }
  // bind() calls made to find relay ports (a full range should cost none).
  std::size_t bind_attempts() const { return bind_attempts_; }

 private:
  RelayPool(Range range, Reservations& reservations, OnReadable on_readable,
            OnBatchEnd on_batch_end, turn::RelayRegistry* registry);
  static void on_event(evutil_socket_t fd, short what, void* arg);
  void drain_ready();
  void close_pending();
  int bind_random(const Address& ip, bool even_port, Address* bound);
  int bind_free(const Address& ip, bool even_port, Address* bound);
  int try_bind(const Address& ip, std::uint16_t port);
  // Puts a bound relay socket on the epoll set; closes it and fails if that is refused.
  Result<turn::Relay> adopt(int fd, const Address& bound);
  // As adopt(), but a refused socket is left open (the caller's).
  Result<turn::Relay> watch(int fd, const Address& bound);

  std::uint16_t min_port_;
  std::uint16_t max_port_;
  std::string device_;
  Reservations& reservations_;
  OnReadable on_readable_;
  OnBatchEnd on_batch_end_;
  turn::RelayRegistry* registry_;
  int epoll_fd_ = -1;
  event::EventPtr ev_;          // the epoll set's readability, on the worker's loop
  std::vector<int> fds_;        // by relay id; -1: free
  std::vector<Address> bound_;  // by relay id
  std::vector<bool> df_;        // by relay id: DF on (RFC 8656 §7.2, DONT-FRAGMENT)
  std::size_t bind_attempts_ = 0;
  std::vector<turn::RelayId> free_;
  std::vector<int> closing_;  // closed relays' descriptors, open until release_closed()
  std::size_t open_ = 0;
};

}  // namespace ferry::net
