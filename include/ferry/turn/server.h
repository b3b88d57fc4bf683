// The protocol core of one worker: takes packets and `now`, emits to an Egress.
// No sockets, no clock (DESIGN.md conventions 1-3); one instance per worker, no locks.
#pragma once

#include <array>
#include <cstdint>

#include "ferry/common/address.h"
#include "ferry/common/bytes.h"
#include "ferry/common/time.h"
#include "ferry/turn/egress.h"
#include "ferry/turn/settings.h"

namespace ferry::stun {
class MessageView;
}

namespace ferry::turn {

// Counters a worker keeps; summed across workers on demand (metrics come later).
struct Counters {
  std::uint64_t binding_requests = 0;
  std::uint64_t binding_responses = 0;
  std::uint64_t error_responses = 0;
  std::uint64_t dropped_malformed = 0;
  std::uint64_t dropped_other = 0;
};

class Server {
 public:
  Server(const Settings& settings, Egress& egress) : settings_(settings), egress_(egress) {}

  // A datagram (or one framed message of a stream) from a client.
  void on_client_packet(const FiveTuple& tuple, Bytes packet, TimePoint now);

  const Counters& counters() const { return counters_; }

 private:
  void handle_binding(const FiveTuple& tuple, const stun::MessageView& m);
  void reply_error(const FiveTuple& tuple, const stun::MessageView& m, std::uint16_t code);

  const Settings& settings_;
  Egress& egress_;
  Counters counters_;
  // Responses are built here, never on the heap (one buffer per worker).
  std::array<std::uint8_t, 1500> out_{};
};

}  // namespace ferry::turn
