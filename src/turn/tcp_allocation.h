// RFC 6062: a TCP allocation's peer data connections as the core knows them. The sockets and
// bytes are the network layer's (ferry/turn/tcp_relay.h); the core keeps what it decides on:
// whose connection an id is, to which peer, and how far it got.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "ferry/common/address.h"
#include "ferry/stun/message.h"
#include "ferry/turn/tcp_relay.h"

namespace ferry::turn {

struct TcpPeer {
  enum class State : std::uint8_t {
    kConnecting,  // §5.2: the server's connection to the peer is being made
    kPending,     // connected (or accepted, §5.4), waiting for the client's ConnectionBind
    kBound,       // §5.3: piped to a client data connection
  };
  ConnectionId id = 0;
  State state = State::kConnecting;
  Address peer;
  // kConnecting: the Connect request answered when the connection succeeds or fails.
  stun::TransactionId tid{};
  bool fingerprint = false;  // that request carried FINGERPRINT: so does its answer
};

struct TcpAllocation {
  // At most Settings::max_tcp_connections (a handful in practice): searched linearly.
  std::vector<TcpPeer> peers;

  TcpPeer* find(ConnectionId id) {
    auto it =
        std::find_if(peers.begin(), peers.end(), [&](const TcpPeer& p) { return p.id == id; });
    return it == peers.end() ? nullptr : &*it;
  }
  // RFC 6062 §5.2: one connection per peer transport address (IP and port).
  const TcpPeer* find_peer(const Address& peer) const {
    auto it =
        std::find_if(peers.begin(), peers.end(), [&](const TcpPeer& p) { return p.peer == peer; });
    return it == peers.end() ? nullptr : &*it;
  }
  bool erase(ConnectionId id) {
    auto it =
        std::find_if(peers.begin(), peers.end(), [&](const TcpPeer& p) { return p.id == id; });
    if (it == peers.end()) return false;
    peers.erase(it);
    return true;
  }
};

}  // namespace ferry::turn
