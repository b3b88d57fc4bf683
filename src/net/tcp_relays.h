// The sockets of one worker's RFC 6062 TCP allocations: a listener on each TCP relay address,
// the peer data connections (made by Connect or accepted), and the pipes between a peer
// connection and its client data connection once a ConnectionBind has bound them. The core
// (turn::Dispatcher) decides; this holds descriptors and bytes and reports back.
//
// Resource bounds (the core's are in src/turn/tcp_relay.cc):
// - Every peer connection takes a connection slot of the allocation's client address
//   (ConnectionLimits: per IP and in total), like the client's own connections; over a limit
//   a Connect fails (447) and an inbound peer is closed at once. So does the listener on the
//   relay address (over a limit: no TCP allocation, 508).
// - Bytes: each direction holds at most `buffer_limit` read and not yet written, plus one
//   read's worth queued for the other side: a side whose output is over the limit stops the
//   other side's reading until it has drained to half (TCP flow control then slows the
//   sender), so a peer or client that does not read cannot grow the server's memory. Before
//   the ConnectionBind the peer's bytes wait in its input, at most `buffer_limit` (§5.2: the
//   receive window closes).
// - Time: a Connect not connected in `connect_timeout` fails (447, RFC 6062 §5.2: at least
//   30 s); a connection not bound within `bind_timeout` closes (§5.2, §5.4: 30 s); a side
//   whose output makes no progress for `stall_timeout` ends the pair.
// - max-bps: one token bucket per allocation (a libevent rate-limit group over its peer
//   connections), reading from peers and writing to them. bps-capacity is not applied to TCP
//   relays.
#pragma once

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "connection_limits.h"
#include "ferry/common/address.h"
#include "ferry/common/time.h"
#include "ferry/net/stats.h"
#include "ferry/turn/dispatcher.h"
#include "ferry/turn/relay_registry.h"
#include "ferry/turn/tcp_relay.h"

struct ev_token_bucket_cfg;
struct bufferevent_rate_limit_group;

namespace ferry::net {

class TcpRelays final : public turn::TcpRelayNet {
 public:
  struct Limits {
    std::size_t buffer_limit = 64 * 1024;
    Duration connect_timeout = Seconds(30);
    Duration bind_timeout = Seconds(30);
    Duration stall_timeout = Seconds(30);
    std::uint64_t max_bps = 0;  // per allocation, each direction; 0: none
    std::string device;         // relay-device
  };
  // `registry`: the TCP relay addresses open on every worker (shared).
  TcpRelays(event_base* base, ConnectionLimits& slots, NetCounters& counters,
            turn::RelayRegistry& registry, unsigned worker, unsigned workers, const Limits& limits);
  ~TcpRelays() override;
  TcpRelays(const TcpRelays&) = delete;
  TcpRelays& operator=(const TcpRelays&) = delete;
  // The core this reports to (made after this, which it is given).
  void set_core(turn::Dispatcher* core) { core_ = core; }

  // turn::TcpRelayNet
  bool listen(const turn::Relay& relay, const Address& client) override;
  void close_relay(turn::RelayId relay) override;
  Result<turn::ConnectionId> connect(turn::RelayId relay, const Address& peer) override;
  void bind(turn::ConnectionId id, const FiveTuple& data) override;
  void refuse(const FiveTuple& data) override;
  bool is_tcp_relay(const Address& peer) const override { return registry_.contains(peer); }

  // The worker that owns a connection id (ids are drawn so that this holds).
  unsigned owner(turn::ConnectionId id) const { return id % workers_; }
  // What the core decided for client connection `t` during the message just handled: the
  // connection id it is now bound to (the worker gives it up to pipe()), or refused.
  std::optional<turn::ConnectionId> take_bound(const FiveTuple& t);
  bool take_refused(const FiveTuple& t);
  // Pipes client connection `bev` (its bytes already read and not handled are in its input)
  // to connection `id`'s peer. Takes `bev` and the client's connection slot.
  void pipe(turn::ConnectionId id, bufferevent* bev, const FiveTuple& data);
  // Deadlines (the worker's one-second tick).
  void tick(TimePoint now);
  std::size_t connection_count() const { return conns_.size(); }

 private:
  struct Listener {
    TcpRelays* self = nullptr;
    turn::RelayId relay = 0;
    Address address;
    Address client;  // whose connection slots its peer connections take
    evconnlistener* l = nullptr;
    bufferevent_rate_limit_group* rate = nullptr;  // max-bps, shared by its connections
    bool paused = false;  // accept() failed (EMFILE...): off until the next tick
  };
  enum class State { kConnecting, kPending, kBound };
  struct Conn {
    TcpRelays* self = nullptr;
    turn::ConnectionId id = 0;
    turn::RelayId relay = 0;
    Address client;  // the allocation's client: the peer side's slot
    State state = State::kConnecting;
    TimePoint since;
    bufferevent* peer = nullptr;
    bufferevent* data = nullptr;  // the client data connection, once bound
    FiveTuple data_tuple;
    bool peer_paused = false;  // reading from the peer stopped: the client's output is full
    bool data_paused = false;
    bool closing = false;  // one side ended: the other drains its output, then closes
  };
  static void on_accept(evconnlistener* l, evutil_socket_t fd, sockaddr* sa, int len, void* arg);
  static void on_accept_error(evconnlistener* l, void* arg);
  static void on_peer_read(bufferevent* bev, void* arg);
  static void on_data_read(bufferevent* bev, void* arg);
  static void on_peer_write(bufferevent* bev, void* arg);
  static void on_data_write(bufferevent* bev, void* arg);
  static void on_peer_event(bufferevent* bev, short what, void* arg);
  static void on_data_event(bufferevent* bev, short what, void* arg);
  void accept_peer(Listener& l, int fd, const Address& peer);
  // A new connection with a fresh id; null when no id can be drawn.
  Conn* add(turn::RelayId relay, const Address& client, bufferevent* peer, State state);
  turn::ConnectionId new_id() const;
  void setup_peer(Conn& c);
  // Moves what `from` read into `to`'s output; pauses `from` when `to` is over the limit.
  void forward(Conn& c, bool from_peer);
  // Ends one side (EOF, error, stall): the other is closed once its output has drained.
  void end_side(Conn& c, bool peer_side);
  // Frees everything of `c` now; `tell_core`: the core still counts it (not an allocation
  // that is ending).
  void destroy(turn::ConnectionId id, bool tell_core);

  event_base* base_;
  ConnectionLimits& slots_;
  NetCounters& counters_;
  turn::RelayRegistry& registry_;
  unsigned worker_;
  unsigned workers_;
  Limits limits_;
  turn::Dispatcher* core_ = nullptr;
  ev_token_bucket_cfg* rate_cfg_ = nullptr;
  std::unordered_map<turn::RelayId, std::unique_ptr<Listener>> listeners_;
  std::unordered_map<turn::ConnectionId, std::unique_ptr<Conn>> conns_;
  std::unordered_map<FiveTuple, turn::ConnectionId> bound_;  // decided, not yet piped
  std::vector<FiveTuple> refused_;
};

}  // namespace ferry::net
