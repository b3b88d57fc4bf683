// One share-nothing worker: its own event loop, its own SO_REUSEPORT sockets on every listening
// address, its own protocol core (DESIGN.md section 2). Nothing here is shared between threads
// but WorkerShared and the loop's stop signal.
#pragma once

#include <event2/event.h>
#include <event2/listener.h>

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "connection_limits.h"
#include "dtls_cookie.h"
#include "dtls_sessions.h"
#include "ferry/common/expected.h"
#include "ferry/common/logger.h"
#include "ferry/common/prefix_limiter.h"
#include "ferry/common/repeat_limiter.h"
#include "ferry/event/event_loop.h"
#include "ferry/net/settings.h"
#include "ferry/net/stats.h"
#include "ferry/turn/dispatcher.h"
#include "ferry/turn/egress.h"
#include "handoff.h"
#include "host_addresses.h"
#include "relay_pool.h"
#include "tcp_connection.h"
#include "tcp_relays.h"
#include "udp_batch.h"
#include "worker_mobility.h"

struct bufferevent;

namespace ferry::net {

// What every worker shares, owned by the Runtime, which outlives its workers: read-only
// credentials and nonce key; quotas, reservations, the open relays and the connection limits,
// each synchronised inside.
struct WorkerShared {
  const auth::CredentialStore& credentials;
  const auth::NonceCodec& nonces;
  turn::Quotas& quotas;
  Reservations& reservations;
  turn::RelayRegistry& open_relays;
  ConnectionLimits& connections;
  const tls::TlsHolder* tls = nullptr;             // null: no TURN over TLS or DTLS
  Handoffs* handoffs = nullptr;                    // RFC 6062 ConnectionBinds for another worker
  turn::RelayRegistry* open_tcp_relays = nullptr;  // RFC 6062: TCP allocations' addresses
  // RFC 8016 mobility: the ticket key (null: mobility off) and, with several workers, the
  // mailboxes that move allocations between them.
  const auth::TicketCodec* tickets = nullptr;
  MobilityMailboxes* moves = nullptr;
  const WallClock* wall_clock = nullptr;  // for TURN REST expiries (null: all read as expired)
};

// Ownership and calls. A Worker owns everything it runs: its event loop, listeners, UDP
// endpoints, TCP connections (by 5-tuple), relay pool, protocol core and host-address watch;
// none of them outlives it (members are declared so that what others call is destroyed
// after them). Calls go down by method and come back up by the interfaces the lower part
// declares: the core sends through turn::Egress (this class), the pool reports readable
// relays through its callbacks, a TcpConnection reports messages and its close through
// on_stream_message / on_connection_closed, after which the Worker destroys it.
class Worker final : public turn::Egress {
 public:
  // Creates the event loop and binds every listener on the listening addresses; the first
  // failure, with its reason. Nothing runs until start().
  static Expected<std::unique_ptr<Worker>> open(const ServerSettings& settings,
                                                const WorkerShared& shared, Logger& log,
                                                unsigned index);
  ~Worker() override;
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void start() { loop_->start(); }
  // Thread-safe: wakes the loop, which exits.
  void request_stop() { loop_->request_stop(); }
  void join() { loop_->join(); }

  // turn::Egress
  void to_client(const FiveTuple& tuple, Bytes data) override;
  void to_client_from(const FiveTuple& tuple, Bytes data) override;
  void to_peer(turn::RelayId relay, const Address& peer, Bytes data) override;
  void to_peer_dont_fragment(turn::RelayId relay, const Address& peer, Bytes data) override;

  // Called by DtlsSessions: a verified DTLS client asks for a session (tls-handshake-rate,
  // the connection limits); one decrypted message; a session ended.
  bool dtls_rate_allows(const Address& client, TimePoint now);
  bool acquire_dtls_slot(const Address& client);
  void release_dtls_slot(const Address& client);
  void on_dtls_started();
  void on_dtls_message(const FiveTuple& t, Bytes message, TimePoint now);
  void on_dtls_closed(const FiveTuple& t, bool slow, bool idle);

  // Called by TcpConnection.
  StreamNext on_stream_message(TcpConnection& c, Bytes message, TimePoint now);
  void on_connection_closed(TcpConnection& c, CloseReason why);
  // RFC 6062 (worker_tcp_relay.cc): after StreamNext::kPipe / kHandOff. Both destroy `c`.
  void start_pipe(TcpConnection& c);
  void hand_off(TcpConnection& c);
  // Bytes queued for TCP clients on this worker, kept by their output buffers' callbacks.
  void account_tcp_output(std::size_t added, std::size_t removed) {
    tcp_output_bytes_ += added;
    tcp_output_bytes_ -= removed < tcp_output_bytes_ ? removed : tcp_output_bytes_;
  }
  bool tcp_output_over_budget() const { return tcp_output_bytes_ >= settings_.tcp_output_budget; }
  bool has_allocation(const FiveTuple& t) const { return core_->has_allocation(t); }
  event_base* base() const { return loop_->base(); }
  WorkerStats stats() const { return {&core_->counters(), &net_counters_}; }
  Logger& log() { return log_; }
  const ServerSettings& settings() const { return settings_; }

 private:
  Worker(const ServerSettings& settings, const WorkerShared& shared, Logger& log, unsigned index);
  Expected<void> open_sockets();
  struct UdpEndpoint {
    Worker* w = nullptr;
    std::uint8_t index = 0;  // its place in udp_, carried in FiveTuple::listener
    int fd = -1;
    Address local;
    event::EventPtr ev;
    SendBatch batch;
    std::unique_ptr<DtlsSessions> dtls;  // null: this socket takes no DTLS
  };
  // Opens a UDP socket on `ip`; with `dtls` it takes DTLS too, told apart by the first byte.
  Expected<void> listen_udp(const Address& ip, bool dtls);
  static void on_udp_readable(evutil_socket_t fd, short what, void* arg);
  static void on_accept(evconnlistener* l, evutil_socket_t fd, sockaddr* sa, int len, void* arg);
  static void on_accept_error(evconnlistener* l, void* arg);
  static void on_accept_resume(evutil_socket_t fd, short what, void* arg);
  static void on_tick(evutil_socket_t fd, short what, void* arg);
  void drain_relay(turn::RelayId id, int fd);
  void drain_udp(UdpEndpoint& ep);
  // Sends everything queued: datagrams to peers, then to clients on every UDP listener.
  void flush();
  // Sends the datagrams queued for peers, then closes the relays closed meanwhile.
  void flush_peers();
  // What a TCP listener speaks: plain STUN/TURN, TLS, or either (the first byte tells: a TLS
  // record starts with 22, a STUN message with 0 or 1, ChannelData with 0x40-0x7F).
  enum class StreamMode { kPlain, kTls, kEither };
  void accept_tcp(evutil_socket_t fd, const sockaddr* sa, int len, const Address& local,
                  StreamMode mode);
  // Makes the TcpConnection once the stream's protocol is known.
  void start_stream(evutil_socket_t fd, const Address& client, const Address& local, bool tls);
  Expected<void> listen_tcp(const Address& ip, StreamMode mode);
  // An accepted connection on an either-mode listener whose first byte has not come yet. It
  // holds its connection slot; the frame deadline bounds the wait.
  struct Sniffing {
    Worker* w = nullptr;
    int fd = -1;
    Address client;
    Address local;
    event::EventPtr ev;
  };
  static void on_first_byte(evutil_socket_t fd, short what, void* arg);
  void end_sniffing(int fd, bool close_it);
  void tick();
  // RFC 6062 (worker_tcp_relay.cc): connections handed to this worker.
  static void on_handoff(evutil_socket_t fd, short what, void* arg);
  void adopt(HandedConnection& h);
  void tcp_relay_tick(TimePoint now);
  Expected<void> open_tcp_relays();
  // RFC 8016 (worker_mobility.cc): moves asked of and answered to this worker.
  Expected<void> open_mobility();
  static void on_mobility(evutil_socket_t fd, short what, void* arg);
  // A ConnectionBind on data connection `c` naming a connection id another worker owns
  // (handoff_to_ is set).
  bool foreign_connection_bind(const TcpConnection& c, Bytes message);
  StreamNext after_tcp_relay_message(TcpConnection& c);
  // Closes connections past a deadline that bytes do not restart (tcp_connection.h).
  void close_overdue(TimePoint now);

  const ServerSettings& settings_;
  Logger& log_;
  unsigned index_;
  // First: everything below registers events on it, and is freed before it.
  std::unique_ptr<event::EventLoop> loop_;
  event::EventPtr tick_ev_;
  std::vector<std::unique_ptr<UdpEndpoint>> udp_;
  struct Listener {
    evconnlistener* l = nullptr;
    Address local;
    Worker* w = nullptr;
    StreamMode mode = StreamMode::kPlain;
    event::EventPtr resume;  // re-enables accepting after an accept() error paused it
  };
  std::vector<std::unique_ptr<Listener>> tcp_listeners_;
  std::unordered_map<FiveTuple, std::unique_ptr<TcpConnection>> connections_;
  std::unordered_map<int, std::unique_ptr<Sniffing>> sniffing_;  // by descriptor
  RecvBatch recv_;
  PeerSendBatch to_peers_;
  WorkerShared shared_;
  // Declared before the core: the core's destructor closes its relays through the pool.
  std::unique_ptr<RelayPool> relays_;
  // RFC 6062 TCP allocations' sockets (null with no-tcp-relay); before the core, which
  // reports to it.
  std::unique_ptr<TcpRelays> tcp_relays_;
  event::EventPtr handoff_ev_;
  // RFC 8016: before the core, which calls it.
  std::unique_ptr<WorkerMobility> mobility_;
  event::EventPtr mobility_ev_;
  unsigned handoff_to_ = 0;         // on_stream_message -> hand_off
  turn::ConnectionId pipe_id_ = 0;  // on_stream_message -> start_pipe
  // Refused ConnectionBinds, closed by the tick half a second on (their answer has left).
  std::vector<std::pair<FiveTuple, TimePoint>> doomed_;
  std::unique_ptr<turn::Dispatcher> core_;
  std::unique_ptr<HostAddressWatch> host_addresses_;  // after the core: it updates the core
  NetCounters net_counters_;
  TimePoint last_tick_{};
  std::size_t tcp_output_bytes_ = 0;
  RepeatLimiter accept_error_log_{Seconds(10)};
  std::optional<CookieJar> cookies_;  // DTLS cookies; set when DTLS is on
  // TLS and DTLS handshakes per source prefix (tls-handshake-rate); null when off.
  std::unique_ptr<PrefixLimiter> handshakes_;
};

}  // namespace ferry::net
