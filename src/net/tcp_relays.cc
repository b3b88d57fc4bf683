#include "tcp_relays.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/rand.h>
#include <sys/socket.h>
#include <unistd.h>

#include <limits>

#include "ferry/event/event_loop.h"
#include "sockets.h"
#include "tcp_connection.h"

namespace ferry::net {

namespace {

// Inbound peers waiting in the kernel for accept(), per TCP relay address.
constexpr int kListenBacklog = 16;

// A TCP socket of the family of `local`, bound to it with SO_REUSEADDR and SO_REUSEPORT: the
// listener and every connection made from the relayed address share its port (RFC 6062 §5.2:
// "The local endpoint is the relayed transport address"). The port is this allocation's among
// our sockets: its UDP relay socket holds it (turn/tcp_relay.cc), so no other allocation
// binds it. -1 on failure.
int bound_stream_socket(const Address& local, const std::string& device) {
  int fd =
      socket(local.is_v6() ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  sockaddr_storage ss;
  socklen_t len = local.to_sockaddr(&ss);
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
      (local.is_v6() && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) ||
      !bind_to_device(fd, device) || ::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    ::close(fd);
    return -1;
  }
  // Relayed streams are often interactive (the same reasoning as for client connections,
  // CONFORMANCE.md "Streams").
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

std::size_t output_length(bufferevent* bev) {
  return evbuffer_get_length(bufferevent_get_output(bev));
}

// Frees a peer connection's bufferevent. Taken out of its allocation's rate-limit group
// first: the free itself completes later, in a finaliser, and a group freed meanwhile (the
// allocation ending) must have no members left (libevent asserts it).
void free_peer(bufferevent* bev) {
  bufferevent_remove_from_rate_limit_group(bev);
  bufferevent_free(bev);
}

}  // namespace

TcpRelays::TcpRelays(event_base* base, ConnectionLimits& slots, NetCounters& counters,
                     turn::RelayRegistry& registry, unsigned worker, unsigned workers,
                     const Limits& limits)
    : base_(base),
      slots_(slots),
      counters_(counters),
      registry_(registry),
      worker_(worker),
      workers_(workers == 0 ? 1 : workers),
      limits_(limits) {
  if (limits_.max_bps != 0) {
    const auto rate = static_cast<std::size_t>(limits_.max_bps);
    rate_cfg_ = ev_token_bucket_cfg_new(rate, rate, rate, rate, nullptr);
  }
}

TcpRelays::~TcpRelays() {
  std::vector<turn::ConnectionId> ids;
  for (auto& [id, c] : conns_) ids.push_back(id);
  for (auto id : ids) destroy(id, false);
  for (auto& [relay, l] : listeners_) {
    registry_.remove(l->address);
    evconnlistener_free(l->l);
    slots_.release(l->client);
    if (l->rate != nullptr) bufferevent_rate_limit_group_free(l->rate);
  }
  if (rate_cfg_ != nullptr) ev_token_bucket_cfg_free(rate_cfg_);
}

bool TcpRelays::listen(const turn::Relay& relay, const Address& client) {
  // The listener is a descriptor beyond the allocation's relay socket (the one the relay
  // sockets' share of RLIMIT_NOFILE counts): it takes a connection slot of the client, as its
  // peer connections do, so that TCP allocations stay within the descriptors set aside.
  if (slots_.acquire(client) != ConnectionLimits::Verdict::kAccepted) {
    ++counters_.tcp_relay_refused;
    return false;
  }
  int fd = bound_stream_socket(relay.address, limits_.device);
  if (fd < 0) {
    slots_.release(client);
    return false;
  }
  auto l = std::make_unique<Listener>();
  l->self = this;
  l->relay = relay.id;
  l->address = relay.address;
  l->client = client;
  l->l = evconnlistener_new(base_, &TcpRelays::on_accept, l.get(), LEV_OPT_CLOSE_ON_FREE,
                            kListenBacklog, fd);
  if (l->l == nullptr) {
    ::close(fd);
    slots_.release(client);
    return false;
  }
  // accept() failing (EMFILE) leaves the connection in the backlog: pause instead of spinning.
  evconnlistener_set_error_cb(l->l, &TcpRelays::on_accept_error);
  if (rate_cfg_ != nullptr) l->rate = bufferevent_rate_limit_group_new(base_, rate_cfg_);
  registry_.add(relay.address);
  listeners_[relay.id] = std::move(l);
  return true;
}

void TcpRelays::close_relay(turn::RelayId relay) {
  std::vector<turn::ConnectionId> ids;
  for (auto& [id, c] : conns_) {
    if (c->relay == relay) ids.push_back(id);
  }
  // RFC 6062 §5.5: the allocation is gone, and with it every connection; the core already
  // forgot them (no callback).
  for (auto id : ids) destroy(id, false);
  auto it = listeners_.find(relay);
  if (it == listeners_.end()) return;
  registry_.remove(it->second->address);
  evconnlistener_free(it->second->l);
  slots_.release(it->second->client);
  if (it->second->rate != nullptr) bufferevent_rate_limit_group_free(it->second->rate);
  listeners_.erase(it);
}

turn::ConnectionId TcpRelays::new_id() const {
  // Unguessable (a client must not bind another's connection) and owned by this worker
  // (id % workers == worker). Id 0 and ids in use are drawn again; 0 when the CSPRNG fails.
  for (;;) {
    std::uint32_t r = 0;
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&r), sizeof r) != 1) return 0;
    const std::uint64_t id = std::uint64_t{r} - r % workers_ + worker_;
    if (id == 0 || id > std::numeric_limits<std::uint32_t>::max()) continue;
    if (conns_.count(static_cast<turn::ConnectionId>(id)) == 0) {
      return static_cast<turn::ConnectionId>(id);
    }
  }
}

TcpRelays::Conn* TcpRelays::add(turn::RelayId relay, const Address& client, bufferevent* peer,
                                State state) {
  const turn::ConnectionId id = new_id();
  if (id == 0) return nullptr;  // no CSPRNG: no connection (ids must not be guessable)
  auto c = std::make_unique<Conn>();
  c->self = this;
  c->id = id;
  c->relay = relay;
  c->client = client;
  c->state = state;
  c->since = Clock::now();
  c->peer = peer;
  Conn* raw = c.get();
  conns_[c->id] = std::move(c);
  return raw;
}

void TcpRelays::setup_peer(Conn& c) {
  bufferevent_setcb(c.peer, &TcpRelays::on_peer_read, &TcpRelays::on_peer_write,
                    &TcpRelays::on_peer_event, &c);
  // Input: at most the limit (then the kernel's window closes); the write callback runs when
  // the output has drained to half, to resume the client side.
  bufferevent_setwatermark(c.peer, EV_READ, 0, limits_.buffer_limit);
  bufferevent_setwatermark(c.peer, EV_WRITE, limits_.buffer_limit / 2, 0);
  const timeval stall = event::to_timeval(limits_.stall_timeout);
  bufferevent_set_timeouts(c.peer, nullptr, &stall);
  auto it = listeners_.find(c.relay);
  if (it != listeners_.end() && it->second->rate != nullptr) {
    bufferevent_add_to_rate_limit_group(c.peer, it->second->rate);
  }
}

Result<turn::ConnectionId> TcpRelays::connect(turn::RelayId relay, const Address& peer) {
  auto it = listeners_.find(relay);
  if (it == listeners_.end()) return Error{"no TCP relay"};
  Listener& l = *it->second;
  if (slots_.acquire(l.client) != ConnectionLimits::Verdict::kAccepted) {
    ++counters_.tcp_relay_refused;
    return Error{"over the connection limit"};
  }
  int fd = bound_stream_socket(l.address, limits_.device);
  bufferevent* bev = fd < 0 ? nullptr : bufferevent_socket_new(base_, fd, BEV_OPT_CLOSE_ON_FREE);
  if (bev == nullptr) {
    if (fd >= 0) ::close(fd);
    slots_.release(l.client);
    return Error{"cannot open a socket on the relay address"};
  }
  Conn* c = add(relay, l.client, bev, State::kConnecting);
  if (c == nullptr) {
    bufferevent_free(bev);
    slots_.release(l.client);
    return Error{"no connection id"};
  }
  setup_peer(*c);
  sockaddr_storage ss;
  socklen_t len = peer.to_sockaddr(&ss);
  // Never reports within this call (libevent defers an immediate refusal to the event
  // callback); a failure here is final.
  if (bufferevent_socket_connect(bev, reinterpret_cast<sockaddr*>(&ss), static_cast<int>(len)) !=
      0) {
    destroy(c->id, false);
    return Error{"connect() failed"};
  }
  return c->id;
}

void TcpRelays::on_accept(evconnlistener* /*listener*/, evutil_socket_t fd, sockaddr* sa, int len,
                          void* arg) {
  auto* l = static_cast<Listener*>(arg);
  l->self->accept_peer(*l, fd, Address::from_sockaddr(sa, static_cast<socklen_t>(len)));
}

void TcpRelays::on_accept_error(evconnlistener* listener, void* arg) {
  auto* l = static_cast<Listener*>(arg);
  evconnlistener_disable(listener);
  l->paused = true;
  ++l->self->counters_.accept_pauses;
}

void TcpRelays::accept_peer(Listener& l, int fd, const Address& peer) {
  if (slots_.acquire(l.client) != ConnectionLimits::Verdict::kAccepted) {
    ++counters_.tcp_relay_refused;
    ::close(fd);
    return;
  }
  bufferevent* bev = bufferevent_socket_new(base_, fd, BEV_OPT_CLOSE_ON_FREE);
  if (bev == nullptr) {
    ::close(fd);
    slots_.release(l.client);
    return;
  }
  int one = 1;
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  Conn* c = add(l.relay, l.client, bev, State::kPending);
  if (c == nullptr) {
    bufferevent_free(bev);
    slots_.release(l.client);
    return;
  }
  const turn::ConnectionId id = c->id;
  // RFC 6062 §5.4: the core checks the permission and the peer policy, and tells the client.
  if (core_ == nullptr || !core_->on_peer_accepted(l.relay, id, peer, c->since)) {
    destroy(id, false);
    return;
  }
  setup_peer(*c);
  bufferevent_enable(c->peer, EV_READ | EV_WRITE);  // buffers until the ConnectionBind
}

void TcpRelays::bind(turn::ConnectionId id, const FiveTuple& data) {
  bound_[data] = id;
}

void TcpRelays::refuse(const FiveTuple& data) {
  refused_.push_back(data);
}

std::optional<turn::ConnectionId> TcpRelays::take_bound(const FiveTuple& t) {
  if (bound_.empty()) return std::nullopt;
  auto it = bound_.find(t);
  if (it == bound_.end()) return std::nullopt;
  turn::ConnectionId id = it->second;
  bound_.erase(it);
  return id;
}

bool TcpRelays::take_refused(const FiveTuple& t) {
  for (auto it = refused_.begin(); it != refused_.end(); ++it) {
    if (*it == t) {
      refused_.erase(it);
      return true;
    }
  }
  return false;
}

void TcpRelays::pipe(turn::ConnectionId id, bufferevent* bev, const FiveTuple& data) {
  auto it = conns_.find(id);
  if (it == conns_.end() || it->second->state != State::kPending || it->second->peer == nullptr) {
    // The peer left between the ConnectionBind and now: the client connection ends too.
    free_stream(bev);
    slots_.release(data.client);
    ++counters_.tcp_closed;
    return;
  }
  Conn& c = *it->second;
  c.state = State::kBound;
  c.data = bev;
  c.data_tuple = data;
  bufferevent_setcb(bev, &TcpRelays::on_data_read, &TcpRelays::on_data_write,
                    &TcpRelays::on_data_event, &c);
  bufferevent_setwatermark(bev, EV_READ, 0, limits_.buffer_limit);
  bufferevent_setwatermark(bev, EV_WRITE, limits_.buffer_limit / 2, 0);
  const timeval stall = event::to_timeval(limits_.stall_timeout);
  bufferevent_set_timeouts(bev, nullptr, &stall);
  bufferevent_enable(bev, EV_READ | EV_WRITE);
  // §5.3: what the peer sent before the bind goes first; then what the client sent right
  // behind its ConnectionBind.
  forward(c, true);
  forward(c, false);
}

void TcpRelays::forward(Conn& c, bool from_peer) {
  bufferevent* from = from_peer ? c.peer : c.data;
  bufferevent* to = from_peer ? c.data : c.peer;
  if (from == nullptr || to == nullptr) return;  // not bound yet: it waits in the input
  evbuffer* in = bufferevent_get_input(from);
  const std::size_t n = evbuffer_get_length(in);
  if (n == 0) return;
  evbuffer_add_buffer(bufferevent_get_output(to), in);
  (from_peer ? counters_.tcp_relay_bytes_to_client : counters_.tcp_relay_bytes_to_peer).add(n);
  if (output_length(to) >= limits_.buffer_limit) {
    // Backpressure: stop reading this side until the other has written half of it.
    bufferevent_disable(from, EV_READ);
    (from_peer ? c.peer_paused : c.data_paused) = true;
  }
}

void TcpRelays::on_peer_read(bufferevent* /*bev*/, void* arg) {
  auto* c = static_cast<Conn*>(arg);
  c->self->forward(*c, true);
}

void TcpRelays::on_data_read(bufferevent* /*bev*/, void* arg) {
  auto* c = static_cast<Conn*>(arg);
  c->self->forward(*c, false);
}

// The peer's output has drained to half the limit (or to nothing, when closing).
void TcpRelays::on_peer_write(bufferevent* bev, void* arg) {
  auto* c = static_cast<Conn*>(arg);
  TcpRelays& self = *c->self;
  if (c->closing) {
    if (output_length(bev) == 0) self.destroy(c->id, true);
    return;
  }
  if (c->data_paused && c->data != nullptr) {
    c->data_paused = false;
    bufferevent_enable(c->data, EV_READ);
    self.forward(*c, false);
  }
}

void TcpRelays::on_data_write(bufferevent* bev, void* arg) {
  auto* c = static_cast<Conn*>(arg);
  TcpRelays& self = *c->self;
  if (c->closing) {
    if (output_length(bev) == 0) self.destroy(c->id, true);
    return;
  }
  if (c->peer_paused && c->peer != nullptr) {
    c->peer_paused = false;
    bufferevent_enable(c->peer, EV_READ);
    self.forward(*c, true);
  }
}

void TcpRelays::on_peer_event(bufferevent* /*bev*/, short what, void* arg) {
  auto* c = static_cast<Conn*>(arg);
  TcpRelays& self = *c->self;
  const turn::ConnectionId id = c->id;
  if (c->state == State::kConnecting) {
    if ((what & BEV_EVENT_CONNECTED) != 0) {
      c->state = State::kPending;
      c->since = Clock::now();
      bufferevent_enable(c->peer, EV_READ);
      if (self.core_ != nullptr) self.core_->on_peer_connected(id, true, c->since);
      return;
    }
    // §5.2: the connection failed: 447.
    self.destroy(id, false);
    if (self.core_ != nullptr) self.core_->on_peer_connected(id, false, Clock::now());
    return;
  }
  self.end_side(*c, true);
}

void TcpRelays::on_data_event(bufferevent* /*bev*/, short /*what*/, void* arg) {
  auto* c = static_cast<Conn*>(arg);
  c->self->end_side(*c, false);
}

void TcpRelays::end_side(Conn& c, bool peer_side) {
  // RFC 6062 §5.5: when one side of the pair closes, so does the other; what the closing side
  // sent last is delivered first (bounded: it is within the input limit).
  if (c.closing) {
    destroy(c.id, true);  // the remaining side failed while draining
    return;
  }
  if (c.peer != nullptr && c.data != nullptr) {
    bufferevent_enable(peer_side ? c.data : c.peer, EV_WRITE);
    evbuffer_add_buffer(bufferevent_get_output(peer_side ? c.data : c.peer),
                        bufferevent_get_input(peer_side ? c.peer : c.data));
  }
  bufferevent*& gone = peer_side ? c.peer : c.data;
  bufferevent* other = peer_side ? c.data : c.peer;
  if (other == nullptr || output_length(other) == 0) {
    destroy(c.id, true);
    return;
  }
  if (peer_side) {
    free_peer(gone);
  } else {
    free_stream(gone);
  }
  gone = nullptr;
  if (peer_side) {
    slots_.release(c.client);
  } else {
    slots_.release(c.data_tuple.client);
    ++counters_.tcp_closed;
  }
  c.closing = true;
  bufferevent_disable(other, EV_READ);
  bufferevent_setwatermark(other, EV_WRITE, 0, 0);  // the write callback at empty: close
}

void TcpRelays::destroy(turn::ConnectionId id, bool tell_core) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  Conn& c = *it->second;
  if (c.peer != nullptr) {
    free_peer(c.peer);
    slots_.release(c.client);
  }
  if (c.data != nullptr) {
    free_stream(c.data);
    slots_.release(c.data_tuple.client);
    ++counters_.tcp_closed;
  }
  conns_.erase(it);
  if (tell_core && core_ != nullptr) core_->on_peer_connection_closed(id);
}

void TcpRelays::tick(TimePoint now) {
  for (auto& [relay, l] : listeners_) {
    if (l->paused) {
      l->paused = false;
      evconnlistener_enable(l->l);
    }
  }
  std::vector<std::pair<turn::ConnectionId, State>> overdue;
  for (auto& [id, c] : conns_) {
    if ((c->state == State::kConnecting && now - c->since >= limits_.connect_timeout) ||
        (c->state == State::kPending && now - c->since >= limits_.bind_timeout)) {
      overdue.emplace_back(id, c->state);
    }
  }
  for (auto [id, state] : overdue) {
    ++counters_.tcp_relay_timeouts;
    if (state == State::kConnecting) {
      destroy(id, false);  // §5.2: "fails or times out" -> 447
      if (core_ != nullptr) core_->on_peer_connected(id, false, now);
    } else {
      destroy(id, true);  // §5.2, §5.4: no ConnectionBind within 30 seconds
    }
  }
}

}  // namespace ferry::net
