// One share-nothing worker: its own event loop, its own SO_REUSEPORT sockets on every listening
// address, its own protocol core (DESIGN.md section 2). Nothing here is shared between threads
// except the stop signal (an eventfd).
#pragma once

#include <event2/event.h>
#include <event2/listener.h>

#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "connection_limits.h"
#include "ferry/common/logger.h"
#include "ferry/common/repeat_limiter.h"
#include "ferry/net/settings.h"
#include "ferry/net/stats.h"
#include "ferry/turn/dispatcher.h"
#include "ferry/turn/egress.h"
#include "host_addresses.h"
#include "relay_pool.h"
#include "tcp_connection.h"
#include "udp_batch.h"

struct bufferevent;

namespace ferry::net {

class Worker final : public turn::Egress {
 public:
  // What every worker shares: read-only credentials and nonce key, synchronised quotas.
  struct Shared {
    const auth::CredentialStore& credentials;
    const auth::NonceCodec& nonces;
    turn::Quotas& quotas;
    Reservations& reservations;
    turn::RelayRegistry& open_relays;
    ConnectionLimits& connections;
  };
  Worker(const ServerSettings& settings, const Shared& shared, Logger& log, unsigned index);
  ~Worker() override;
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Creates the event loop and binds every listener; false with `error` on the first failure.
  bool open(const std::vector<Address>& ips, std::string* error);
  void start();
  // Thread-safe: wakes the loop, which exits.
  void request_stop();
  void join();

  // turn::Egress
  void to_client(const FiveTuple& tuple, Bytes data) override;
  void to_peer(turn::RelayId relay, const Address& peer, Bytes data) override;

  // Called by TcpConnection.
  void on_stream_message(TcpConnection& c, Bytes message, TimePoint now);
  void on_connection_closed(TcpConnection& c, CloseReason why);
  // Bytes queued for TCP clients on this worker, kept by their output buffers' callbacks.
  void account_tcp_output(std::size_t added, std::size_t removed) {
    tcp_output_bytes_ += added;
    tcp_output_bytes_ -= removed < tcp_output_bytes_ ? removed : tcp_output_bytes_;
  }
  bool tcp_output_over_budget() const { return tcp_output_bytes_ >= settings_.tcp_output_budget; }
  bool has_allocation(const FiveTuple& t) const { return core_->has_allocation(t); }
  event_base* base() const { return base_; }
  WorkerStats stats() const { return {&core_->counters(), &net_counters_}; }
  Logger& log() { return log_; }
  const ServerSettings& settings() const { return settings_; }

 private:
  struct UdpEndpoint {
    Worker* w = nullptr;
    int fd = -1;
    Address local;
    event* ev = nullptr;
    SendBatch batch;
  };
  static void on_udp_readable(evutil_socket_t fd, short what, void* arg);
  static void on_accept(evconnlistener* l, evutil_socket_t fd, sockaddr* sa, int len, void* arg);
  static void on_accept_error(evconnlistener* l, void* arg);
  static void on_accept_resume(evutil_socket_t fd, short what, void* arg);
  static void on_stop(evutil_socket_t fd, short what, void* arg);
  static void on_tick(evutil_socket_t fd, short what, void* arg);
  void drain_relay(turn::RelayId id, int fd);
  void drain_udp(UdpEndpoint& ep);
  // Sends everything queued: datagrams to peers, then to clients on every UDP listener.
  void flush();
  // Sends the datagrams queued for peers, then closes the relays closed meanwhile.
  void flush_peers();
  void accept_tcp(evutil_socket_t fd, const sockaddr* sa, int len, const Address& local);
  void tick();
  // Closes connections past a deadline that bytes do not restart (tcp_connection.h).
  void close_overdue(TimePoint now);

  const ServerSettings& settings_;
  Logger& log_;
  unsigned index_;
  event_base* base_ = nullptr;
  int stop_fd_ = -1;
  event* stop_ev_ = nullptr;
  event* tick_ev_ = nullptr;
  std::vector<std::unique_ptr<UdpEndpoint>> udp_;
  struct Listener {
    evconnlistener* l = nullptr;
    Address local;
    Worker* w = nullptr;
    event* resume = nullptr;  // re-enables accepting after an accept() error paused it
  };
  std::vector<std::unique_ptr<Listener>> tcp_listeners_;
  std::unordered_map<FiveTuple, std::unique_ptr<TcpConnection>> connections_;
  RecvBatch recv_;
  PeerSendBatch to_peers_;
  Shared shared_;
  // Declared before the core: the core's destructor closes its relays through the pool.
  std::unique_ptr<RelayPool> relays_;
  std::unique_ptr<turn::Dispatcher> core_;
  std::unique_ptr<HostAddressWatch> host_addresses_;  // after the core: it updates the core
  NetCounters net_counters_;
  TimePoint last_tick_{};
  std::size_t tcp_output_bytes_ = 0;
  RepeatLimiter accept_error_log_{Seconds(10)};
  std::thread thread_;
};

}  // namespace ferry::net
