// The worker's part of RFC 6062 TCP relays: routing a ConnectionBind to the worker that owns
// its connection, turning a bound client connection into a pipe, and the deadlines.
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <fcntl.h>
#include <openssl/ssl.h>

#include "ferry/stun/attributes.h"
#include "ferry/stun/message.h"
#include "sockets.h"
#include "worker.h"

namespace ferry::net {

Expected<void> Worker::open_tcp_relays() {
  if (!settings_.turn.tcp_relay || shared_.open_tcp_relays == nullptr) return {};
  const unsigned workers = std::max(1u, settings_.threads);
  tcp_relays_ = std::make_unique<TcpRelays>(
      base(), shared_.connections, net_counters_, *shared_.open_tcp_relays, index_, workers,
      TcpRelays::Limits{.buffer_limit = settings_.tcp_output_limit,
                        .stall_timeout = settings_.tcp_stall_timeout,
                        .max_bps = settings_.turn.max_bps,
                        .device = settings_.relay_device});
  if (shared_.handoffs == nullptr) return {};
  auto ev = event::add_event(base(), shared_.handoffs->wake_fd(index_), EV_READ | EV_PERSIST,
                             &Worker::on_handoff, this, nullptr, "the connection handoff queue");
  if (!ev) return std::move(ev).failure();
  handoff_ev_ = std::move(*ev);
  return {};
}

bool Worker::foreign_connection_bind(const TcpConnection& c, Bytes message) {
  // Cheap first: only a ConnectionBind request (type 0x000B) is parsed again here.
  if (shared_.handoffs == nullptr || message.size() < 20 || message[0] != 0x00 ||
      message[1] != 0x0B) {
    return false;
  }
  // A control connection (it holds an allocation here) stays: the core answers its
  // ConnectionBind (400, RFC 6062 §5.3 binds only new data connections). Handed over, it left
  // its allocation behind on this worker, cut off from its connection until it expired.
  if (core_->has_allocation(c.tuple())) return false;
  // Handed over once already: answered here (401 without credentials; with them 400 and
  // closed, the id being none of this worker's).
  if (c.adopted()) return false;
  auto m = stun::MessageView::parse(message);
  if (!m) return false;
  auto cid = m->get<stun::attr::ConnectionId>();
  if (!cid || tcp_relays_->owner(cid->id) == index_) return false;
  handoff_to_ = tcp_relays_->owner(cid->id);
  return true;
}

StreamNext Worker::after_tcp_relay_message(TcpConnection& c) {
  if (auto id = tcp_relays_->take_bound(c.tuple())) {
    pipe_id_ = *id;
    return StreamNext::kPipe;
  }
  if (tcp_relays_->take_refused(c.tuple())) {
    doomed_.emplace_back(c.tuple(), Clock::now());
    return StreamNext::kStop;
  }
  return StreamNext::kContinue;
}

void Worker::start_pipe(TcpConnection& c) {
  const FiveTuple t = c.tuple();
  bufferevent* bev = c.release();
  connections_.erase(t);  // the connection object only; the socket and its slot go on
  tcp_relays_->pipe(pipe_id_, bev, t);
}

void Worker::hand_off(TcpConnection& c) {
  const FiveTuple t = c.tuple();
  bufferevent* bev = c.release();
  connections_.erase(t);
  HandedConnection h;
  h.tuple = t;
  evbuffer* in = bufferevent_get_input(bev);
  h.input.resize(evbuffer_get_length(in));
  evbuffer_remove(in, h.input.data(), h.input.size());
  // Answers to the messages before this one may still wait for the socket: they go first,
  // from the owner (freeing the bufferevent here would drop them). TLS: plaintext, which the
  // session moving with them encrypts in order.
  evbuffer* out = bufferevent_get_output(bev);
  evbuffer_unfreeze(out, 1);  // a socket bufferevent's output: only it drains it, normally
  h.output.resize(evbuffer_get_length(out));
  if (evbuffer_remove(out, h.output.data(), h.output.size()) != static_cast<int>(h.output.size())) {
    h.output.clear();  // never bytes that were not the answers
  }
  if (SSL* ssl = bufferevent_openssl_get_ssl(bev)) {
    // TLS (made without BEV_OPT_CLOSE_ON_FREE, free_stream()): the session and its descriptor
    // move as they are; freeing the bufferevent touches neither.
    h.ssl = ssl;
    h.fd = bufferevent_getfd(bev);
    bufferevent_free(bev);
  } else {
    // The bufferevent closes its descriptor when freed (later, on this loop): the owner gets
    // a duplicate, so the connection stays open.
    h.fd = fcntl(bufferevent_getfd(bev), F_DUPFD_CLOEXEC, 0);
    bufferevent_free(bev);
  }
  if (h.fd < 0 || (t.transport == Transport::kTls && h.ssl == nullptr)) {
    discard(h);
    shared_.connections.release(t.client);
    ++net_counters_.tcp_closed;
    ++net_counters_.tcp_relay_handoffs_refused;
    return;
  }
  if (!shared_.handoffs->push(handoff_to_, std::move(h))) {
    discard(h);
    shared_.connections.release(t.client);
    ++net_counters_.tcp_closed;
    ++net_counters_.tcp_relay_handoffs_refused;
    return;
  }
  ++net_counters_.tcp_relay_handoffs;
}

void Worker::on_handoff(evutil_socket_t /*fd*/, short /*what*/, void* arg) {
  auto* w = static_cast<Worker*>(arg);
  for (auto& h : w->shared_.handoffs->take(w->index_)) w->adopt(h);
}

// A connection another worker accepted, with a ConnectionBind for a connection of ours at the
// head of its input: continued here as if accepted here (its connection slot comes with it).
void Worker::adopt(HandedConnection& h) {
  bufferevent* bev = nullptr;
  if (h.ssl != nullptr) {
    bev = bufferevent_openssl_socket_new(base(), h.fd, h.ssl, BUFFEREVENT_SSL_OPEN, 0);
    if (bev != nullptr) bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
  } else {
    bev = bufferevent_socket_new(base(), h.fd, BEV_OPT_CLOSE_ON_FREE);
  }
  if (bev == nullptr) {
    discard(h);
    shared_.connections.release(h.tuple.client);
    ++net_counters_.tcp_closed;
    return;
  }
  h.fd = -1;  // the bufferevent's now
  h.ssl = nullptr;
  if (auto old = connections_.find(h.tuple); old != connections_.end()) {
    on_connection_closed(*old->second, CloseReason::kClosed);
  }
  TcpConnection::Limits limits{.output_limit = settings_.tcp_output_limit,
                               .frame_deadline = settings_.tcp_frame_deadline,
                               .stall_timeout = settings_.tcp_stall_timeout};
  auto conn = std::make_unique<TcpConnection>(*this, bev, h.tuple, limits, Clock::now());
  TcpConnection& ref = *conn;
  ref.mark_adopted();
  connections_[h.tuple] = std::move(conn);
  // Counted in this worker's output total (the connection's output callback is on).
  if (!h.output.empty()) bufferevent_write(bev, h.output.data(), h.output.size());
  ref.feed(Bytes(h.input.data(), h.input.size()));  // may end or hand on `ref`
}

void Worker::tcp_relay_tick(TimePoint now) {
  std::vector<FiveTuple> due;
  std::erase_if(doomed_, [&](const auto& d) {
    if (now - d.second < Millis(500)) return false;
    due.push_back(d.first);
    return true;
  });
  for (const FiveTuple& t : due) {
    if (auto it = connections_.find(t); it != connections_.end()) {
      on_connection_closed(*it->second, CloseReason::kClosed);
    }
  }
  if (tcp_relays_ != nullptr) tcp_relays_->tick(now);
}

}  // namespace ferry::net
