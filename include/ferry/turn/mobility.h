// RFC 8016 mobility across share-nothing workers: what the core needs from the network layer.
// A Refresh carrying MOBILITY-TICKET from a new 5-tuple lands on whichever worker the kernel
// hashes that 5-tuple to; the allocation the ticket names lives on the worker that issued it.
// The receiving core checks the credentials and the ticket (so nothing crosses workers for a
// stranger), then asks the owner; the owner detaches the allocation (its relay sockets leave
// its epoll set without being closed) and answers with it; the receiving core adopts it and
// answers the Refresh. The queues are bounded; a full one is a refusal, never a wait.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ferry/common/address.h"
#include "ferry/common/result.h"
#include "ferry/stun/error_code.h"
#include "ferry/turn/egress.h"

namespace ferry::turn {

// A relay socket on its way between workers: `handle` is the network layer's (a descriptor),
// opaque to the core.
struct MovedRelay {
  int handle = -1;
  Address address;
  bool dont_fragment = false;
};

// An allocation detached from its owner: its state (permissions, channels, lifetimes, rate
// gates, credentials) without a table, a timer or open relay ids. Defined in ferry_turn.
class MovedAllocation;
struct MovedAllocationDeleter {
  void operator()(MovedAllocation* m) const;
};
using MovedAllocationPtr = std::unique_ptr<MovedAllocation, MovedAllocationDeleter>;

// Receiving worker -> owner: move allocation (index, serial) of `username` to `tuple`. Made
// only after the Refresh passed MESSAGE-INTEGRITY as `username` and carried an authentic,
// unexpired ticket of that user.
struct MoveAsk {
  unsigned from = 0;
  std::uint32_t index = 0;
  std::uint64_t serial = 0;
  std::string username;
  std::string realm;  // the realm the Refresh was authenticated in: the allocation's, or no move
  FiveTuple tuple;
  std::vector<std::uint8_t> request;  // the Refresh, answered by `from` when the answer comes
};

// Owner -> receiving worker: the allocation, or why not (then `allocation` is null).
struct MoveAnswer {
  FiveTuple tuple;
  std::vector<std::uint8_t> request;
  stun::ErrorCode refusal = stun::ErrorCode::kAllocationMismatch;
  MovedAllocationPtr allocation;
  // Its relays' handles (also inside `allocation`): what the network layer closes if the
  // answer is never delivered (the server stops).
  std::array<MovedRelay, 2> relays{};
  std::size_t relay_count = 0;
};

class MobilityNet {
 public:
  virtual ~MobilityNet() = default;
  // This worker's index (tickets name the worker that holds their allocation).
  virtual unsigned worker() const = 0;
  virtual unsigned workers() const = 0;
  // Queues `ask` for worker `owner`; false when its queue is full.
  virtual bool ask(unsigned owner, MoveAsk&& ask) = 0;
  // Holds a place in worker `to`'s queue for one answer (false when full); answer() then
  // cannot fail, so an allocation is detached only when its answer has somewhere to go.
  virtual bool reserve_answer(unsigned to) = 0;
  virtual void answer(unsigned to, MoveAnswer&& answer) = 0;
  // The relay leaves this worker's sockets without being closed (it stays an open relay).
  virtual Result<MovedRelay> detach_relay(RelayId relay) = 0;
  // The relay joins this worker's sockets under a new id.
  virtual Result<Relay> attach_relay(const MovedRelay& relay) = 0;
  // Closes a relay that could not be attached (no longer an open relay).
  virtual void close_moved(const MovedRelay& relay) = 0;
};

}  // namespace ferry::turn
