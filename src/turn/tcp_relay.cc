// RFC 6062 TCP allocations: Allocate with REQUESTED-TRANSPORT TCP (§5.1), Connect (§5.2),
// ConnectionBind (§5.3), inbound peer connections and ConnectionAttempt (§5.4), and what ends
// with the allocation (§5.5). The sockets are the network layer's (TcpRelayNet).
//
// Abuse cases, and what bounds them:
// - A client opens peer connections without end (Connect spray, or peers told to connect in
//   to its relay): Settings::max_tcp_connections per allocation, connecting, pending and
//   piped together (508 for Connect; an inbound peer over it is closed at once); each takes a
//   connection slot of the allocation's client address in the network layer (per-IP and total
//   connection limits), and allocations themselves are under the quotas.
// - Connect as a port scanner or a way into the host: the peer policy decides before any
//   socket is made (403), like CreatePermission. Of this host's own addresses only the relayed
//   addresses of open TCP allocations pass (a UDP relay's port proves nothing about what
//   listens on that port over TCP).
// - A stranger connects to a relay address: without a permission for its IP (installed by the
//   allocation's own client), or refused by the peer policy, it is closed at once (§5.4) and
//   the client hears nothing.
// - A client binds another's connection: the id is random (CSPRNG, drawn by the network
//   layer), and the ConnectionBind must be authenticated as the allocation's user (441
//   otherwise). A refused ConnectionBind closes its connection, so guessing costs a TCP
//   handshake and a credential check per guess.
// - Pending connections that are never bound: the network layer closes them after 30 s
//   (§5.2, §5.4), and buffers at most a bounded amount from each peer meanwhile (its TCP window
//   closes: §5.2 "adjusts its advertised TCP receive window").
#include <cstring>

#include "allocation.h"
#include "allocations.h"
#include "ferry/stun/attributes.h"
#include "ferry/turn/dispatcher.h"
#include "reply.h"

namespace ferry::turn {

using stun::Class;
using stun::ErrorCode;
using stun::MessageBuilder;
using stun::MessageView;
namespace attr = stun::attr;

namespace {

bool stream(Transport t) {
  return t == Transport::kTcp || t == Transport::kTls;
}

// Tries for a relay port that is free on TCP too: the UDP socket holds the port among this
// server's relays, but another program may listen on the same number over TCP.
constexpr int kTcpPortTries = 4;

}  // namespace

std::optional<Reply> Dispatcher::check_tcp_allocate(const Request& r, const auth::MessageKey* key) {
  const MessageView& m = r.message;
  if (!settings_.tcp_relay || deps_.tcp_relays == nullptr) {
    return Reply::error(ErrorCode::kUnsupportedTransportProtocol, key);  // no-tcp-relay
  }
  // RFC 6062 §5.1: a TCP allocation needs a TCP or TLS control connection (its peers' data
  // comes over further connections to the same server address).
  if (!stream(r.tuple.transport)) return Reply::error(ErrorCode::kBadRequest, key);
  // §5.1: these make no sense for a TCP relay.
  if (m.has<attr::DontFragment>() || m.has<attr::EvenPort>() || m.has<attr::ReservationToken>()) {
    return Reply::error(ErrorCode::kBadRequest, key);
  }
  // A TCP allocation has one relayed address: RFC 8656's dual allocations (§7.2,
  // ADDITIONAL-ADDRESS-FAMILY) are defined for UDP relays only.
  if (m.has<attr::AdditionalAddressFamily>()) return Reply::error(ErrorCode::kBadRequest, key);
  if (m.has<attr::RequestedAddressFamily>() && !m.get<attr::RequestedAddressFamily>()) {
    return Reply::error(ErrorCode::kAddressFamilyNotSupported, key);  // neither IPv4 nor IPv6
  }
  return std::nullopt;
}

// RFC 6062 §5.1: the relayed transport address is a TCP one. The port comes from the relay
// pool (a UDP socket on it keeps it this allocation's among all relays, quotas and the
// free-port map included); the network layer listens on the same port over TCP.
Result<Relay> Dispatcher::open_tcp_relay(const Address& ip, const Address& client) {
  for (int attempt = 0; attempt < kTcpPortTries; ++attempt) {
    auto relay = deps_.relays.open(ip, false);
    if (!relay) return relay;
    if (deps_.tcp_relays->listen(*relay, client)) return relay;
    deps_.relays.close(relay->id);
  }
  return Error{"no relay port free on TCP"};
}

Reply Dispatcher::handle_connect(const Request& r, Allocation& a) {
  const auth::MessageKey* key = a.integrity_key();
  const MessageView& m = r.message;
  if (!a.tcp) return Reply::error(ErrorCode::kBadRequest, key);  // a UDP allocation
  auto peer = m.get<attr::XorPeerAddress>();
  // §5.2: XOR-PEER-ADDRESS missing or invalid -> 400.
  if (!peer || peer->address.port() == 0) return Reply::error(ErrorCode::kBadRequest, key);
  for (const TcpPeer& p : a.tcp->peers) {
    // A retransmission of a Connect still under way: answered when it completes.
    if (p.state == TcpPeer::State::kConnecting && p.tid == m.transaction_id()) {
      return Reply::deferred();
    }
  }
  if (peer->address.family() != a.relay.address.family()) {
    return Reply::error(ErrorCode::kPeerAddressFamilyMismatch, key);
  }
  // §5.2: "If the new connection is forbidden by local policy" -> 403. No permission is
  // needed for Connect (the client names the peer itself), but the peer policy is. An address
  // of this host only as another TCP allocation's relayed address.
  const PeerVerdict verdict = policy_.check(peer->address);
  if (verdict == PeerVerdict::kRefused ||
      (verdict == PeerVerdict::kPermittedRelay && !deps_.tcp_relays->is_tcp_relay(peer->address))) {
    return Reply::error(ErrorCode::kForbidden, key);
  }
  // §5.2: a connection to this peer connecting, pending or piped -> 446.
  if (a.tcp->find_peer(peer->address) != nullptr) {
    return Reply::error(ErrorCode::kConnectionAlreadyExists, key);
  }
  if (a.tcp->peers.size() >= settings_.max_tcp_connections) {
    return Reply::error(ErrorCode::kInsufficientCapacity, key);
  }
  auto id = deps_.tcp_relays->connect(a.relay.id, peer->address);
  if (!id) {
    ++counters_.tcp_connect_failed;
    return Reply::error(ErrorCode::kConnectionTimeoutOrFailure, key);  // no socket for it
  }
  a.tcp->peers.push_back(TcpPeer{.id = *id,
                                 .state = TcpPeer::State::kConnecting,
                                 .peer = peer->address,
                                 .tid = m.transaction_id(),
                                 .fingerprint = m.has_fingerprint()});
  tcp_connections_[*id] = a.tuple;
  return Reply::deferred();
}

// The Connect's answer, made when its connection succeeded (with CONNECTION-ID) or failed
// (447), through the same steps as respond(); a success is kept for a retransmission.
void Dispatcher::send_connect_answer(Allocation& a, ConnectionId id, bool ok) {
  TcpPeer* p = a.tcp->find(id);
  const Class cls = ok ? Class::kSuccess : Class::kError;
  MessageBuilder b(out_, stun::Method::kConnect, cls, p->tid);
  if (ok) {
    b.add(attr::ConnectionId{id});  // §5.2
  } else {
    b.add(attr::ErrorCode::of(ErrorCode::kConnectionTimeoutOrFailure));
    ++counters_.error_responses[error_code_slot(ErrorCode::kConnectionTimeoutOrFailure)];
  }
  if (settings_.software) b.add(attr::Software{settings_.software_name});
  if (const auth::MessageKey* key = a.integrity_key()) sign(b, *key);
  if (settings_.fingerprint || p->fingerprint) b.add_fingerprint();
  Bytes out = b.finish();
  if (out.empty()) return;
  if (ok) {  // a success is kept for a retransmission (a failure is tried again)
    a.last_tid = p->tid;
    a.last_response.assign(out.begin(), out.end());
  }
  egress_.to_client(a.tuple, out);
}

void Dispatcher::on_peer_connected(ConnectionId id, bool ok, TimePoint now) {
  auto it = tcp_connections_.find(id);
  if (it == tcp_connections_.end()) return;
  const FiveTuple control = it->second;  // current() may end the allocation, and erase `it`
  Allocation* a = allocations_->current(control, now);
  TcpPeer* p = a != nullptr && a->tcp ? a->tcp->find(id) : nullptr;
  if (p == nullptr || p->state != TcpPeer::State::kConnecting) return;
  send_connect_answer(*a, id, ok);
  if (!ok) {
    ++counters_.tcp_connect_failed;
    a->tcp->erase(id);
    tcp_connections_.erase(id);
    return;
  }
  ++counters_.tcp_connections_opened;
  p->state = TcpPeer::State::kPending;  // §5.2: now waits for its ConnectionBind
}

bool Dispatcher::on_peer_accepted(RelayId relay, ConnectionId id, const Address& peer,
                                  TimePoint now) {
  Allocation* a = allocations_->by_relay(relay);
  if (a == nullptr || !a->tcp || now >= a->expires) return false;
  // §5.4: no permission for the peer's IP -> closed at once, the client hears nothing. The
  // peer policy was checked when the permission was installed; checked again here (rare, and
  // the host's addresses may have changed): an address of this host only as one of our
  // relays that is open now.
  const PeerVerdict verdict = policy_.check(peer);
  if (!a->permitted(peer, now) || verdict == PeerVerdict::kRefused ||
      (verdict == PeerVerdict::kPermittedRelay && !policy_.open_relay(peer)) ||
      a->tcp->peers.size() >= settings_.max_tcp_connections) {
    ++counters_.tcp_peers_refused;
    return false;
  }
  a->tcp->peers.push_back(TcpPeer{.id = id, .state = TcpPeer::State::kPending, .peer = peer});
  tcp_connections_[id] = a->tuple;
  ++counters_.tcp_connections_opened;
  // §5.4: ConnectionAttempt with the peer and the id to bind. Its transaction id need only be
  // unique (an indication): a counter, as for Data indications.
  stun::TransactionId tid{};
  ++indication_counter_;
  std::memcpy(tid.data(), &indication_counter_, sizeof indication_counter_);
  MessageBuilder b(out_, stun::Method::kConnectionAttempt, Class::kIndication, tid);
  b.add(attr::XorPeerAddress{peer});
  b.add(attr::ConnectionId{id});
  if (settings_.fingerprint) b.add_fingerprint();
  Bytes out = b.finish();
  if (!out.empty()) egress_.to_client(a->tuple, out);
  return true;
}

void Dispatcher::on_peer_connection_closed(ConnectionId id) {
  auto it = tcp_connections_.find(id);
  if (it == tcp_connections_.end()) return;
  if (Allocation* a = allocations_->find(it->second); a != nullptr && a->tcp) {
    if (a->tcp->erase(id)) ++counters_.tcp_connections_ended;
  }
  tcp_connections_.erase(it);
}

// §5.5: the allocation ends; so do its connections (the network layer closes them all).
void Dispatcher::end_tcp(Allocation& a) {
  for (const TcpPeer& p : a.tcp->peers) {
    tcp_connections_.erase(p.id);
    if (p.state != TcpPeer::State::kConnecting) ++counters_.tcp_connections_ended;
  }
  a.tcp->peers.clear();
  if (deps_.tcp_relays != nullptr) deps_.tcp_relays->close_relay(a.relay.id);
}

Reply Dispatcher::handle_connection_bind(const Request& r) {
  if (!settings_.turn_enabled) return Reply::error(ErrorCode::kForbidden);
  // §5.3: only over TCP or TLS.
  if (!stream(r.tuple.transport)) return Reply::error(ErrorCode::kBadRequest);
  // Authenticated like every TURN request; a 401 or 438 here is the usual first round trip
  // of the new connection, not a refusal.
  Auth auth;
  if (auto refusal = authenticate(r, auth, realm_of_request(r).name)) return *refusal;
  const auth::MessageKey* key = auth.authenticated ? &auth.key : nullptr;
  // A control connection holding an allocation cannot become a data connection.
  if (allocations_->find(r.tuple) != nullptr) return Reply::error(ErrorCode::kBadRequest, key);
  Allocation* a = nullptr;
  TcpPeer* p = nullptr;
  if (auto cid = r.message.get<attr::ConnectionId>()) {
    if (auto it = tcp_connections_.find(cid->id); it != tcp_connections_.end()) {
      const FiveTuple control = it->second;
      a = allocations_->current(control, r.now);
      p = a != nullptr && a->tcp ? a->tcp->find(cid->id) : nullptr;
    }
  }
  // §5.3: no CONNECTION-ID, or one naming no pending connection -> 400.
  if (p == nullptr || p->state != TcpPeer::State::kPending) {
    ++counters_.tcp_binds_refused;
    if (deps_.tcp_relays != nullptr) deps_.tcp_relays->refuse(r.tuple);
    return Reply::error(ErrorCode::kBadRequest, key);
  }
  // The connection belongs to the allocation's user alone (in its realm).
  if (auth.authenticated &&
      (auth.username != a->username || realm_of_allocation(*a).name != auth.realm)) {
    ++counters_.auth_wrong_user;
    ++counters_.tcp_binds_refused;
    deps_.tcp_relays->refuse(r.tuple);
    return Reply::error(ErrorCode::kWrongCredentials, key);
  }
  p->state = TcpPeer::State::kBound;
  ++counters_.tcp_binds;
  deps_.tcp_relays->bind(p->id, r.tuple);
  return Reply::success(key);
}

}  // namespace ferry::turn
