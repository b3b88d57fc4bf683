// RFC 6062 TCP allocations: the part the network layer does for the core. The core decides
// (who may connect, to whom, which client connection gets which peer connection); the network
// layer holds the sockets, pipes the bytes and keeps the timeouts, and reports back through
// Dispatcher::on_peer_connected / on_peer_accepted / on_peer_connection_closed.
#pragma once

#include <cstdint>

#include "ferry/common/address.h"
#include "ferry/common/result.h"
#include "ferry/turn/egress.h"

namespace ferry::turn {

// RFC 6062 §6.2.1 CONNECTION-ID: names one peer data connection. The network layer draws it
// from a CSPRNG (a client must not be able to guess another's) so that `id % workers` is the
// worker that owns it (a ConnectionBind arriving on another worker is handed over there).
using ConnectionId = std::uint32_t;

class TcpRelayNet {
 public:
  virtual ~TcpRelayNet() = default;
  // RFC 6062 §5.1: accept peer connections on `relay`'s address (the relay's UDP port, held by
  // the relay socket, taken on TCP too). `client`: the allocation's client address, whose
  // connection slots (per-IP and total) the listener and its peer connections take. False
  // when the port is busy on TCP, the client has no slot left or no descriptor is left (the
  // core tries another port, then answers 508).
  virtual bool listen(const Relay& relay, const Address& client) = 0;
  // RFC 6062 §5.5: the allocation ended; its listener and every connection of it close.
  virtual void close_relay(RelayId relay) = 0;
  // RFC 6062 §5.2: opens a TCP connection from the relay's address to `peer`. The outcome
  // comes later (never within this call) through Dispatcher::on_peer_connected; an error
  // here (no descriptor, over a connection limit) is final.
  virtual Result<ConnectionId> connect(RelayId relay, const Address& peer) = 0;
  // RFC 6062 §5.3: the client connection `data`, which sent a successful ConnectionBind,
  // carries connection `id`'s bytes both ways, without STUN framing, once the current message
  // has been handled (the success answer, sent after this call, is the last STUN it gets).
  virtual void bind(ConnectionId id, const FiveTuple& data) = 0;
  // True while `peer` is the relayed address of an open TCP allocation of this server (any
  // worker): the one kind of own address a Connect may reach (two clients of this server
  // relaying to each other). A UDP relay's port proves nothing about who listens on it on TCP.
  virtual bool is_tcp_relay(const Address& peer) const = 0;
  // A client connection whose ConnectionBind failed for good (unknown id, wrong user): closed
  // once the error answer has left, so that ids cannot be guessed in bulk over one connection.
  virtual void refuse(const FiveTuple& data) = 0;
};

}  // namespace ferry::turn
