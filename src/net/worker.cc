#include "worker.h"

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <algorithm>
#include <chrono>

#include "sockets.h"
#include "tcp_connection.h"

namespace ferry::net {

Worker::Worker(const ServerSettings& settings, const WorkerShared& shared, Logger& log,
               unsigned index)
    : settings_(settings), log_(log), index_(index), shared_(shared) {
  if ((settings.tls || settings.dtls) && settings.tls_handshake_rate != 0) {
    handshakes_ =
        std::make_unique<PrefixLimiter>(settings.tls_handshake_rate, settings.tls_handshake_burst);
  }
}

Worker::~Worker() {
  if (loop_ != nullptr) loop_->stop();  // no callback runs while the members go
  host_addresses_.reset();
  for (auto& [fd, s] : sniffing_) {
    s->ev.reset();
    shared_.connections.release(s->client);
    close_fd(fd);
  }
  sniffing_.clear();
  connections_.clear();
  for (auto& ep : udp_) {
    if (ep->dtls) ep->dtls->close_all();  // gives back connection slots, ends allocations
  }
  core_.reset();  // closes every relay through the pool, returns quotas
  tcp_relays_.reset();
  handoff_ev_.reset();
  mobility_ev_.reset();
  mobility_.reset();
  relays_.reset();
  tick_ev_.reset();
  for (auto& l : tcp_listeners_) {
    if (l->l != nullptr) evconnlistener_free(l->l);
    l->resume.reset();
  }
  for (auto& ep : udp_) {
    ep->ev.reset();
    ep->dtls.reset();
    close_fd(ep->fd);
  }
  loop_.reset();
}

Expected<std::unique_ptr<Worker>> Worker::open(const ServerSettings& settings,
                                               const WorkerShared& shared, Logger& log,
                                               unsigned index) {
  std::unique_ptr<Worker> w(new Worker(settings, shared, log, index));
  if (auto opened = w->open_sockets(); !opened) return std::move(opened).failure();
  return w;
}

Expected<void> Worker::open_sockets() {
  auto loop = event::EventLoop::create();
  if (!loop) return std::move(loop).failure();
  loop_ = std::move(*loop);
  event_base* base = loop_->base();
  auto pool = RelayPool::create(
      base, RelayPool::Range{settings_.min_port, settings_.max_port, settings_.relay_device},
      shared_.reservations, [this](turn::RelayId id, int fd) { drain_relay(id, fd); },
      [this] { flush(); }, &shared_.open_relays);
  if (!pool) return std::move(pool).failure();
  relays_ = std::move(*pool);
  if (auto opened = open_tcp_relays(); !opened) return opened;  // RFC 6062
  if (auto opened = open_mobility(); !opened) return opened;    // RFC 8016
  core_ = std::make_unique<turn::Dispatcher>(
      turn::Dependencies{settings_.turn, *this, *relays_, shared_.credentials, shared_.nonces,
                         shared_.quotas, &shared_.open_relays, tcp_relays_.get(), shared_.tickets,
                         mobility_.get(), shared_.wall_clock});
  if (tcp_relays_ != nullptr) tcp_relays_->set_core(core_.get());
  // The peer policy refuses the host's own addresses; they can change while we run.
  auto watch = HostAddressWatch::create(base, [this](std::vector<Address> ips_now) {
    core_->set_host_addresses(std::move(ips_now), Clock::now());
  });
  if (!watch) return std::move(watch).failure();
  host_addresses_ = std::move(*watch);
  if (!host_addresses_->watching() && index_ == 0) {
    log_.warning(
        "no rtnetlink socket for address changes: the host's own addresses (refused "
        "as peers) are re-read every 30 s only");
  }
  // Lifetimes are coarse (seconds): one sweep a second instead of a timer per permission.
  const timeval one_second{1, 0};
  auto tick = event::add_event(base, -1, EV_PERSIST, &Worker::on_tick, this, &one_second,
                               "the worker's one-second tick");
  if (!tick) return std::move(tick).failure();
  tick_ev_ = std::move(*tick);
  last_tick_ = Clock::now();
  const bool dtls = settings_.dtls && shared_.tls != nullptr && shared_.tls->current()->dtls();
  if (dtls) {
    auto jar = CookieJar::with_random_key();
    if (!jar) return std::move(jar).failure();
    cookies_.emplace(*jar);
  }
  for (Address ip : settings_.listen_ips) {
    ip.set_port(settings_.port);
    // DTLS on the TLS port, and on the plain port too (as coturn's, like TLS below): the
    // first byte tells a DTLS record (20..63) from STUN (0..3) and ChannelData (64..127).
    if (settings_.udp) {
      if (auto listening = listen_udp(ip, dtls); !listening) return listening;
    }
    if (settings_.alt_port != 0) {
      // RFC 5780 §6: the second port CHANGE-REQUEST answers from (plain UDP only).
      Address alt = ip;
      alt.set_port(settings_.alt_port);
      if (auto listening = listen_udp(alt, false); !listening) return listening;
    }
    if (dtls && (settings_.tls_port != settings_.port || !settings_.udp)) {
      Address dtls_ip = ip;
      dtls_ip.set_port(settings_.tls_port);
      if (auto listening = listen_udp(dtls_ip, true); !listening) return listening;
    }
    // With TLS on, the plain port takes TLS too (as coturn's does), so one port (443) can
    // serve both; the TLS port is TLS only, unless it is the same port.
    const bool tls = settings_.tls && shared_.tls != nullptr;
    if (settings_.tcp) {
      auto mode = tls ? StreamMode::kEither : StreamMode::kPlain;
      if (auto listening = listen_tcp(ip, mode); !listening) return listening;
    }
    if (tls && (settings_.tls_port != settings_.port || !settings_.tcp)) {
      Address tls_ip = ip;
      tls_ip.set_port(settings_.tls_port);
      if (auto listening = listen_tcp(tls_ip, StreamMode::kTls); !listening) return listening;
    }
    if (settings_.alt_tls_port != 0) {
      // RFC 5780 over TLS and DTLS (alt-tls-listening-port): the port OTHER-ADDRESS names.
      Address alt = ip;
      alt.set_port(settings_.alt_tls_port);
      if (tls) {
        if (auto listening = listen_tcp(alt, StreamMode::kTls); !listening) return listening;
      }
      if (dtls) {
        if (auto listening = listen_udp(alt, true); !listening) return listening;
      }
    }
  }
  return {};
}

Expected<void> Worker::listen_udp(const Address& ip, bool dtls) {
  // A UDP listener's index travels in FiveTuple::listener, one byte (Runtime checks too).
  if (udp_.size() >= 256) return fail("more than 256 UDP listening sockets");
  auto fd = open_udp_socket(ip, settings_.listening_device);
  if (!fd) return std::move(fd).failure();
  auto ep = std::make_unique<UdpEndpoint>();
  ep->w = this;
  ep->index = static_cast<std::uint8_t>(udp_.size());  // FiveTuple::listener
  ep->fd = *fd;
  ep->local = socket_local_address(ep->fd);
  UdpEndpoint& e = *ep;
  udp_.push_back(std::move(ep));  // owned now: closed by the destructor if what follows fails
  auto ev = event::add_event(base(), e.fd, EV_READ | EV_PERSIST, &Worker::on_udp_readable, &e,
                             nullptr, (dtls ? "DTLS " : "UDP ") + ip.to_string());
  if (!ev) return std::move(ev).failure();
  e.ev = std::move(*ev);
  if (dtls) {
    const DtlsSessions::Limits limits{.handshake_deadline = settings_.tcp_frame_deadline,
                                      .idle_timeout = settings_.tcp_idle_timeout};
    e.dtls = DtlsSessions::create(*this, *shared_.tls, *cookies_, e.fd, e.local, e.index, e.batch,
                                  limits);
    if (!e.dtls) return fail("cannot set up DTLS on " + ip.to_string() + " (OpenSSL)");
  }
  return {};
}

Expected<void> Worker::listen_tcp(const Address& ip, StreamMode mode) {
  const bool tls = mode == StreamMode::kTls;
  auto fd = open_tcp_listener(ip, settings_.listening_device);
  if (!fd) return std::move(fd).failure();
  auto l = std::make_unique<Listener>();
  l->local = socket_local_address(*fd);
  l->w = this;
  l->mode = mode;
  l->l = evconnlistener_new(base(), &Worker::on_accept, l.get(), LEV_OPT_CLOSE_ON_FREE, -1, *fd);
  if (l->l == nullptr) {
    close_fd(*fd);
    return fail("cannot listen for " + std::string(tls ? "TLS" : "TCP") + " on " + ip.to_string() +
                " (evconnlistener_new)");
  }
  evconnlistener_set_error_cb(l->l, &Worker::on_accept_error);
  l->resume.reset(evtimer_new(base(), &Worker::on_accept_resume, l.get()));
  if (l->resume == nullptr) {
    evconnlistener_free(l->l);
    return fail("cannot create the accept-pause timer for " + ip.to_string());
  }
  tcp_listeners_.push_back(std::move(l));
  return {};
}

void Worker::on_udp_readable(evutil_socket_t /*fd*/, short /*what*/, void* arg) {
  auto* ep = static_cast<UdpEndpoint*>(arg);
  ep->w->drain_udp(*ep);
}

void Worker::drain_udp(UdpEndpoint& ep) {
  // Bounded rounds per wakeup so one busy socket cannot starve the others on this loop.
  for (int round = 0; round < 8; ++round) {
    std::size_t n = recv_.receive(ep.fd);
    if (n == 0) break;
    TimePoint now = Clock::now();
    for (std::size_t i = 0; i < n; ++i) {
      if (recv_.truncated(i)) {  // oversized datagram: dropped
        ++net_counters_.dropped_oversized;
        continue;
      }
      if (ep.dtls && DtlsSessions::is_dtls(recv_.data(i))) {
        ep.dtls->on_datagram(recv_.source(i), recv_.data(i), now);
        continue;
      }
      FiveTuple t{recv_.source(i), ep.local, Transport::kUdp, ep.index};
      core_->on_client_packet(t, recv_.data(i), now);
    }
    flush();  // before the next receive reuses the buffers the peer batch points into
    if (n < RecvBatch::kSlots) break;
  }
}

void Worker::on_accept(evconnlistener* /*l*/, evutil_socket_t fd, sockaddr* sa, int len,
                       void* arg) {
  auto* listener = static_cast<Listener*>(arg);
  listener->w->accept_tcp(fd, sa, len, listener->local, listener->mode);
}

// An accept() failure other than a retriable one (libevent retries EAGAIN, EINTR and
// ECONNABORTED itself): EMFILE, ENFILE, ENOBUFS, ENOMEM. The pending connection stays in the
// backlog and the listener stays readable, so accepting again at once spins a core. Pause this
// listener briefly instead; connections wait in the backlog (or are refused by the kernel when
// it is full) until descriptors come back.
void Worker::on_accept_error(evconnlistener* l, void* arg) {
  auto* listener = static_cast<Listener*>(arg);
  Worker& w = *listener->w;
  const int err = errno;
  evconnlistener_disable(l);
  const timeval pause{0, 250 * 1000};
  if (evtimer_add(listener->resume.get(), &pause) != 0) {
    // Without the timer the listener would stay off: keep accepting and let libevent call
    // here again (spinning is better than a listener that never comes back).
    evconnlistener_enable(l);
  }
  ++w.net_counters_.accept_pauses;
  std::uint64_t suppressed = 0;
  if (w.accept_error_log_.allow(Clock::now(), &suppressed)) {
    w.log_.warning("accept() on " + listener->local.to_string() + ": " + std::strerror(err) +
                   "; pausing new TCP connections for 250 ms" +
                   (suppressed != 0 ? " (" + std::to_string(suppressed) + " more since last said)"
                                    : std::string()));
  }
}

void Worker::on_accept_resume(evutil_socket_t /*fd*/, short /*what*/, void* arg) {
  evconnlistener_enable(static_cast<Listener*>(arg)->l);
}

void Worker::accept_tcp(evutil_socket_t fd, const sockaddr* sa, int len, const Address& local,
                        StreamMode mode) {
  const Address client = Address::from_sockaddr(sa, static_cast<socklen_t>(len));
  switch (shared_.connections.acquire(client)) {
    case ConnectionLimits::Verdict::kAccepted:
      break;
    case ConnectionLimits::Verdict::kOverTotal:
      ++net_counters_.tcp_refused;
      close_fd(fd);
      return;
    case ConnectionLimits::Verdict::kOverPerIp:
      ++net_counters_.tcp_refused_per_ip;
      close_fd(fd);
      return;
  }
  ++net_counters_.tcp_accepted;
  // CONFORMANCE.md "Streams": STUN/TURN messages are small and latency-bound; Nagle plus
  // delayed ACKs would hold them back.
  int one = 1;
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  switch (mode) {
    case StreamMode::kPlain:
      start_stream(fd, client, local, false);
      return;
    case StreamMode::kTls:
      start_stream(fd, client, local, true);
      return;
    case StreamMode::kEither:
      break;
  }
  // Wait for the first byte, at most the frame deadline (a silent connection is a slow frame).
  auto s = std::make_unique<Sniffing>();
  s->w = this;
  s->fd = fd;
  s->client = client;
  s->local = local;
  const timeval deadline = event::to_timeval(settings_.tcp_frame_deadline);
  auto ev = event::add_event(base(), fd, EV_READ, &Worker::on_first_byte, s.get(), &deadline,
                             "a new TCP connection");
  if (!ev) {
    shared_.connections.release(client);
    close_fd(fd);
    return;
  }
  s->ev = std::move(*ev);
  sniffing_[fd] = std::move(s);
}

void Worker::on_first_byte(evutil_socket_t fd, short what, void* arg) {
  auto* s = static_cast<Sniffing*>(arg);
  Worker& w = *s->w;
  if ((what & EV_TIMEOUT) != 0) {
    ++w.net_counters_.tcp_closed_slow;
    w.end_sniffing(fd, true);
    return;
  }
  std::uint8_t first = 0;
  ssize_t n = recv(fd, &first, 1, MSG_PEEK);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
    // Readable but nothing to read (a spurious wake-up): wait again, with a whole deadline.
    const timeval deadline = event::to_timeval(w.settings_.tcp_frame_deadline);
    if (event_add(s->ev.get(), &deadline) != 0) w.end_sniffing(fd, true);
    return;
  }
  if (n <= 0) {  // closed before a byte, or an error
    w.end_sniffing(fd, true);
    return;
  }
  const Address client = s->client;
  const Address local = s->local;
  w.end_sniffing(fd, false);
  // RFC 8446 §5.1: a TLS record starts with its content type, 22 for a handshake.
  w.start_stream(fd, client, local, first == 22);
}

void Worker::end_sniffing(int fd, bool close_it) {
  auto it = sniffing_.find(fd);
  if (it == sniffing_.end()) return;
  if (close_it) {
    shared_.connections.release(it->second->client);
    ++net_counters_.tcp_closed;
    close_fd(fd);
  }
  sniffing_.erase(it);  // frees its event
}

void Worker::start_stream(evutil_socket_t fd, const Address& client, const Address& local,
                          bool tls) {
  FiveTuple t{client, local, tls ? Transport::kTls : Transport::kTcp};
  // The same 4-tuple again: the client reset the old connection and reconnected from the same
  // port before its close was seen. End the old one properly first (its slots, its allocation),
  // or replacing it in the map would leak them.
  if (auto old = connections_.find(t); old != connections_.end()) {
    on_connection_closed(*old->second, CloseReason::kClosed);
  }
  bufferevent* bev = nullptr;
  if (tls && handshakes_ && !handshakes_->allow(client, Clock::now())) {
    // A handshake costs us an ECDHE key pair and a signature and the client next to nothing:
    // over its prefix's rate the connection ends before any of it is spent.
    ++net_counters_.tls_refused_rate;
  } else if (tls) {
    // The handshake runs inside the bufferevent; until it completes no byte reaches the
    // framing, and the connection's frame deadline bounds how long it may take.
    SSL* ssl = shared_.tls->current()->new_session();  // the certificate in force now
    if (ssl != nullptr) {
      // Without BEV_OPT_CLOSE_ON_FREE: free_stream() frees the session and the descriptor
      // (tcp_connection.h).
      bev = bufferevent_openssl_socket_new(base(), fd, ssl, BUFFEREVENT_SSL_ACCEPTING, 0);
      if (bev == nullptr) SSL_free(ssl);
    }
    // A client that closes without close_notify ends the connection like any EOF.
    if (bev != nullptr) bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
  } else {
    bev = bufferevent_socket_new(base(), fd, BEV_OPT_CLOSE_ON_FREE);
  }
  if (bev == nullptr) {
    shared_.connections.release(client);
    ++net_counters_.tcp_closed;
    close_fd(fd);
    return;
  }
  TcpConnection::Limits limits{.output_limit = settings_.tcp_output_limit,
                               .frame_deadline = settings_.tcp_frame_deadline,
                               .stall_timeout = settings_.tcp_stall_timeout};
  connections_[t] = std::make_unique<TcpConnection>(*this, bev, t, limits, Clock::now(), tls);
}

StreamNext Worker::on_stream_message(TcpConnection& c, Bytes message, TimePoint now) {
  if (tcp_relays_ != nullptr && foreign_connection_bind(c, message)) return StreamNext::kHandOff;
  core_->on_client_packet(c.tuple(), message, now);
  flush_peers();  // `message` lives in the connection's buffer only during this call
  return tcp_relays_ != nullptr ? after_tcp_relay_message(c) : StreamNext::kContinue;
}

void Worker::flush_peers() {
  if (!to_peers_.empty()) to_peers_.flush();
  // Only now may the descriptors of relays closed while handling these packets be reused.
  relays_->release_closed();
}

void Worker::flush() {
  flush_peers();
  for (auto& e : udp_) {
    if (!e->batch.empty()) e->batch.flush(e->fd);
  }
}

bool Worker::dtls_rate_allows(const Address& client, TimePoint now) {
  if (!handshakes_ || handshakes_->allow(client, now)) return true;
  ++net_counters_.tls_refused_rate;
  return false;
}

bool Worker::acquire_dtls_slot(const Address& client) {
  switch (shared_.connections.acquire(client)) {
    case ConnectionLimits::Verdict::kAccepted:
      return true;
    case ConnectionLimits::Verdict::kOverTotal:
      ++net_counters_.tcp_refused;
      return false;
    case ConnectionLimits::Verdict::kOverPerIp:
      ++net_counters_.tcp_refused_per_ip;
      return false;
  }
  return false;
}

void Worker::release_dtls_slot(const Address& client) {
  shared_.connections.release(client);
}

void Worker::on_dtls_started() {
  ++net_counters_.dtls_accepted;
}

void Worker::on_dtls_message(const FiveTuple& t, Bytes message, TimePoint now) {
  core_->on_client_packet(t, message, now);
  flush_peers();  // `message` is the session's plaintext buffer, reused by the next record
}

void Worker::on_dtls_closed(const FiveTuple& t, bool slow, bool idle) {
  shared_.connections.release(t.client);
  ++net_counters_.dtls_closed;
  if (slow) ++net_counters_.tcp_closed_slow;
  if (idle) ++net_counters_.tcp_closed_idle;
  core_->on_client_closed(t);  // the allocation ends with its DTLS association, as with TLS
  flush_peers();
}

void Worker::on_connection_closed(TcpConnection& c, CloseReason why) {
  FiveTuple t = c.tuple();
  connections_.erase(t);  // destroys c
  shared_.connections.release(t.client);
  ++net_counters_.tcp_closed;
  switch (why) {
    case CloseReason::kClosed:
    case CloseReason::kUnframeable:
      break;
    case CloseReason::kStalled:
      ++net_counters_.tcp_closed_stalled;
      break;
    case CloseReason::kIdle:
      ++net_counters_.tcp_closed_idle;
      break;
    case CloseReason::kSlowFrame:
      ++net_counters_.tcp_closed_slow;
      break;
  }
  core_->on_client_closed(t);  // RFC 8656 §3.1: the allocation ends with its connection
  flush_peers();
}

void Worker::on_tick(evutil_socket_t /*fd*/, short /*what*/, void* arg) {
  static_cast<Worker*>(arg)->tick();
}

void Worker::tick() {
  TimePoint now = Clock::now();
  // The tick is due a second after the last one; whatever is beyond that, the loop was busy
  // (or blocked) for.
  auto late = std::chrono::duration_cast<std::chrono::microseconds>(now - last_tick_ - Seconds(1));
  auto lag = static_cast<std::uint64_t>(std::max<std::int64_t>(0, late.count()));
  net_counters_.loop_lag_us.set(lag);
  if (lag > net_counters_.loop_lag_max_us.get()) net_counters_.loop_lag_max_us.set(lag);
  last_tick_ = now;
  net_counters_.tcp_output_bytes.set(tcp_output_bytes_);
  close_overdue(now);
  for (auto& ep : udp_) {
    if (ep->dtls) ep->dtls->tick(now);
  }
  tcp_relay_tick(now);
  core_->expire(now);
  // Every worker sweeps (a lock taken once a second): lapsed EVEN-PORT reservations give
  // back their port, descriptor and quota on time whoever made them.
  shared_.reservations.sweep(now);
  flush();  // expiry closes relays (and sends nothing): their descriptors are released here
}

void Worker::close_overdue(TimePoint now) {
  // A scan a second: cheaper than re-arming a timer per message, and connections are bounded.
  std::vector<std::pair<TcpConnection*, CloseReason>> overdue;
  for (auto& [tuple, c] : connections_) {
    if (c->frame_overdue(now)) {
      overdue.emplace_back(c.get(), CloseReason::kSlowFrame);
    } else if (now - c->last_message() > settings_.tcp_idle_timeout &&
               !core_->has_allocation(tuple)) {
      // An idle connection that carries an allocation stays: its lifetime (refreshed by the
      // client) governs it, and a quiet data channel is not an abandoned one.
      overdue.emplace_back(c.get(), CloseReason::kIdle);
    }
  }
  for (auto& [c, why] : overdue) on_connection_closed(*c, why);
}

void Worker::drain_relay(turn::RelayId id, int fd) {
  for (int round = 0; round < 8; ++round) {
    std::size_t n = recv_.receive(fd);
    if (n == 0) break;
    TimePoint now = Clock::now();
    for (std::size_t i = 0; i < n; ++i) {
      if (recv_.truncated(i)) {
        ++net_counters_.dropped_oversized;
        continue;
      }
      core_->on_peer_packet(id, recv_.source(i), recv_.data(i), now);
    }
    // No flush here: the client datagrams wait in their listener's batch (copies) until
    // every ready relay socket of this wake-up is drained (RelayPool's batch end).
    if (n < RecvBatch::kSlots) break;
  }
}

void Worker::to_peer(turn::RelayId relay, const Address& peer, Bytes data) {
  int fd = relays_->fd(relay);
  if (fd < 0) return;
  // `data` is the client's payload inside the packet being handled (Egress contract): queued
  // without a copy, sent at the end of the receive batch.
  to_peers_.add(fd, peer, data);
}

void Worker::to_client_from(const FiveTuple& tuple, Bytes data) {
  // RFC 5780 answers only: a scan of the few UDP sockets.
  for (auto& e : udp_) {
    if (e->local == tuple.server) {
      e->batch.add(e->fd, tuple.client, data);
      return;
    }
  }
}

void Worker::to_peer_dont_fragment(turn::RelayId relay, const Address& peer, Bytes data) {
  int fd = relays_->fd(relay);
  if (fd < 0) return;
  if (relays_->dont_fragment(relay)) {
    to_peers_.add(fd, peer, data);  // the relay sends everything with DF already
    return;
  }
  // Rare (a Send indication asking for DF on a relay without it): what is queued leaves
  // first, so this socket's datagrams keep their order, then this one with DF on for it alone.
  // A datagram above the path MTU is refused (EMSGSIZE) rather than fragmented: what DF asks,
  // and dropped like any datagram whose send fails.
  to_peers_.flush();
  (void)send_dont_fragment(fd, peer, data);
}

void Worker::to_client(const FiveTuple& tuple, Bytes data) {
  if (tuple.transport == Transport::kUdp) {
    if (tuple.listener < udp_.size()) {
      UdpEndpoint& e = *udp_[tuple.listener];
      e.batch.add(e.fd, tuple.client, data);
    }
    return;
  }
  if (tuple.transport == Transport::kDtls) {
    if (tuple.listener < udp_.size() && udp_[tuple.listener]->dtls) {
      (void)udp_[tuple.listener]->dtls->send(tuple, data);
    }
    return;
  }
  auto it = connections_.find(tuple);
  if (it != connections_.end() && !it->second->send(data)) ++net_counters_.dropped_output_full;
}

}  // namespace ferry::net
