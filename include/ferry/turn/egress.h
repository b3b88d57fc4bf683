// Where the core's output goes. The core never touches sockets (DESIGN.md section 1): the
// network layer implements Egress and RelayAllocator and batches what it is given.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "ferry/common/address.h"
#include "ferry/common/bytes.h"
#include "ferry/common/result.h"
#include "ferry/common/time.h"
#include "ferry/turn/quotas.h"

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
  // RFC 5780 §6: send from `tuple.server`, whichever of the server's sockets has that address
  // (tuple.listener does not name it): rare, so found by a search. The default suits
  // implementations with one socket.
  virtual void to_client_from(const FiveTuple& tuple, Bytes data) { to_client(tuple, data); }
  // Send `data` to `peer` from relay socket `relay`. `data` is always a part of the client
  // packet the core is handling in the call that emits it (the core never builds peer data),
  // so an implementation may queue it without a copy for as long as it keeps that packet.
  virtual void to_peer(RelayId relay, const Address& peer, Bytes data) = 0;
  // As to_peer, for one datagram that must leave with the DF bit set (RFC 8656 §11.2, a Send
  // indication carrying DONT-FRAGMENT), whatever the relay's own setting. Rare: only Send
  // indications that ask for it come here, so to_peer's path pays nothing for it.
  virtual void to_peer_dont_fragment(RelayId relay, const Address& peer, Bytes data) = 0;
};

// Opens and closes relay sockets (RFC 8656 §7.2: a fresh transport address per allocation).
class RelayAllocator {
 public:
  virtual ~RelayAllocator() = default;
  // A UDP socket bound to `ip` on a port chosen at random from the configured range (an even
  // one when `even_port`, RFC 8656 §14.6); an error when no port is free (the core answers 508).
  virtual Result<Relay> open(const Address& ip, bool even_port) = 0;
  virtual void close(RelayId relay) = 0;

  // RFC 8656 §7.2, DONT-FRAGMENT: whether relays can send with the DF bit set on this platform
  // (when not, the core answers an Allocate asking for it 420, as for an unknown attribute),
  // and setting it on an open relay for all it sends (false if that fails).
  virtual bool can_dont_fragment() const = 0;
  virtual bool set_dont_fragment(RelayId relay) = 0;

  // RFC 8656 §7.2, EVEN-PORT with the R bit: hold `ip_port` (the port after an even relay port)
  // for a later Allocate presenting the returned RESERVATION-TOKEN, for 30 seconds. A held port
  // counts as one of `owner`'s allocations (user-quota, total-quota) until it is claimed or
  // lapses, in `realm` (the Allocate's realm and its limits: the same name in another realm is
  // another user). An error when that port is taken or outside the relay range, the owner's quota
  // is used up, or too many ports are held already.
  using Token = std::array<std::uint8_t, 8>;
  virtual Result<Token> reserve(const Address& ip_port, std::string_view owner,
                                const RealmLimits& realm, TimePoint now) = 0;
  // Opens a relay on the port held for `token`, whichever worker reserved it. An error for an
  // unknown, used or lapsed token (the core answers 508).
  virtual Result<Relay> claim(const Token& token, TimePoint now) = 0;
};

}  // namespace ferry::turn
