// Where the core's output goes. The core never touches sockets (DESIGN.md section 1): the
// network layer implements Egress and RelayAllocator and batches what it is given.
#pragma once

#include <cstdint>

#include "ferry/common/address.h"
#include "ferry/common/bytes.h"
#include "ferry/common/result.h"

namespace ferry::turn {

// A relay socket as the core knows it: an id the network layer chose and its bound address.
using RelayId = std::uint32_t;
struct Relay {
  RelayId id = 0;
  Address address;
};

class Egress {
 public:
  virtual ~Egress() = default;
  // Send `data` to the client of this 5-tuple, from the server address it used. The bytes are
  // only valid during the call: implementations copy them into their send batch.
  virtual void to_client(const FiveTuple& tuple, Bytes data) = 0;
  // Send `data` to `peer` from relay socket `relay`.
  virtual void to_peer(RelayId relay, const Address& peer, Bytes data) = 0;
};

// Opens and closes relay sockets (RFC 8656 §7.2: a fresh transport address per allocation).
class RelayAllocator {
 public:
  virtual ~RelayAllocator() = default;
  // A UDP socket bound to `ip` on a port chosen at random from the configured range (an even
  // one when `even_port`, RFC 8656 §14.6); an error when no port is free (the core answers 508).
  virtual Result<Relay> open(const Address& ip, bool even_port) = 0;
  virtual void close(RelayId relay) = 0;
};

}  // namespace ferry::turn
