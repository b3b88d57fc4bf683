#include "ferry/net/runtime.h"

#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "connection_limits.h"
#include "handoff.h"
#include "refresher_thread.h"
#include "reservations.h"
#include "sockets.h"
#include "worker.h"

namespace ferry::net {

namespace {
// Without configured users the store is empty: every TURN request is then refused anyway.
const auth::StaticUsers kNoUsers{""};
// The system's wall clock, for time-limited credentials (TURN REST expiries). Stateless.
class SystemWallClock final : public WallClock {
 public:
  std::int64_t unix_seconds() const override {
    return std::chrono::duration_cast<Seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};
const SystemWallClock kSystemWallClock;
// Descriptors kept out of the TCP connections' share: listeners, epoll sets, eventfds, log
// files, the HTTP listener and its clients, the database connections to come.
constexpr std::size_t kReservedDescriptors = 256;
}  // namespace

std::size_t raise_descriptor_limit(std::size_t* raised_from) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
    *raised_from = 1024;
    return 1024;
  }
  *raised_from = rl.rlim_cur;
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit want = rl;
    want.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &want) == 0) rl = want;
  }
  return rl.rlim_cur == RLIM_INFINITY ? (std::size_t{1} << 20) : rl.rlim_cur;
}

Runtime::Runtime(const ServerSettings& settings, Logger& log)
    : settings_(settings),
      log_(log),
      quotas_(settings.user_quota, settings.total_quota, settings.per_ip_quota),
      // EVEN-PORT reservations held at once: a quarter of the relay range, so that clients
      // reserving ports can never take most of it.
      reservations_(std::make_unique<Reservations>(
          quotas_, std::max<std::size_t>(16, (settings.max_port - settings.min_port + 1u) / 4))) {}

Runtime::~Runtime() {
  stop();
}

Expected<void> Runtime::start() {
  // listen_ips, threads, relay_addresses and the per-worker shares are derived in the
  // configuration step (config/settings_build.cc); here they are used as given.
  const auto& ips = settings_.listen_ips;
  if (ips.empty()) return fail("no address to listen on");
  // A UDP listener's index travels in FiveTuple::listener, one byte.
  const bool dtls_socket =
      settings_.dtls && (settings_.tls_port != settings_.port || !settings_.udp);
  const std::size_t udp_per_ip = (settings_.udp ? 1 : 0) + (dtls_socket ? 1 : 0) +
                                 (settings_.alt_port != 0 ? 1 : 0) +
                                 (settings_.alt_tls_port != 0 && settings_.dtls ? 1 : 0);
  if (ips.size() * udp_per_ip > 256) {
    return fail(std::to_string(ips.size()) + " listening addresses: at most " +
                std::to_string(256 / udp_per_ip) + " are supported" +
                (dtls_socket ? " with DTLS on its own port" : ""));
  }
  const unsigned n = std::max(1u, settings_.threads);
  for (Address ip : ips) {
    ip.set_port(settings_.port);
    if (settings_.udp) {
      if (auto free = check_port_free(ip, SOCK_DGRAM); !free) return free;
    }
    if (settings_.alt_port != 0) {
      Address alt = ip;
      alt.set_port(settings_.alt_port);
      if (auto free = check_port_free(alt, SOCK_DGRAM); !free) return free;
    }
    if (settings_.tcp) {
      if (auto free = check_port_free(ip, SOCK_STREAM); !free) return free;
    }
    Address tls_ip = ip;
    tls_ip.set_port(settings_.tls_port);
    if (settings_.tls && (settings_.tls_port != settings_.port || !settings_.tcp)) {
      if (auto free = check_port_free(tls_ip, SOCK_STREAM); !free) return free;
    }
    if (settings_.dtls && (settings_.tls_port != settings_.port || !settings_.udp)) {
      if (auto free = check_port_free(tls_ip, SOCK_DGRAM); !free) return free;
    }
    if (settings_.alt_tls_port != 0) {
      Address alt = ip;
      alt.set_port(settings_.alt_tls_port);
      if (settings_.tls) {
        if (auto free = check_port_free(alt, SOCK_STREAM); !free) return free;
      }
      if (settings_.dtls) {
        if (auto free = check_port_free(alt, SOCK_DGRAM); !free) return free;
      }
    }
  }
  if (!settings_.relay_device.empty()) {
    // Relay sockets are opened later, per allocation: try the device once now so that a wrong
    // name or a missing CAP_NET_RAW stops the start instead of failing every Allocate.
    int probe = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (probe < 0) return fail(std::string("socket(): ") + std::strerror(errno));
    auto bound = bind_to_device(probe, settings_.relay_device);
    close_fd(probe);
    if (!bound) return bound;
  }
  // TURN over TLS and DTLS: the certificate and key are read now, so a wrong path or password
  // stops the start with the reason instead of failing every handshake.
  if (settings_.tls || settings_.dtls) {
    auto tls = tls::TlsContext::load(settings_.tls_files, settings_.dtls);
    if (!tls) return std::move(tls).failure();
    tls_ = std::make_unique<tls::TlsHolder>(std::move(*tls));
  }
  // One key for all workers, so a nonce is valid on any of them; from the CSPRNG or no start.
  auto nonces = auth::NonceCodec::with_random_key();
  if (!nonces) return std::move(nonces).failure();
  nonces_.emplace(*nonces);
  open_relays_ = std::make_unique<turn::RelayRegistry>(settings_.relay_addresses);
  // Descriptors: every TCP allocation needs two (the connection and its relay socket), so
  // connections get at most half of what is left after the reserve; UDP allocations' relays
  // keep the rest. Without a bound, a connection flood exhausts descriptors and every
  // Allocate, UDP included, fails.
  // Relay sockets take the other half: allocations are capped there too, so that neither
  // side can take the descriptors the other (and the server's own work) needs; a failing
  // socket() would otherwise also fail getifaddrs and accept.
  std::size_t raised_from = 0;
  const std::size_t nofile = raise_descriptor_limit(&raised_from);
  const std::size_t listeners =
      ips.size() * ((settings_.udp ? 1 : 0) + (settings_.tcp ? 1 : 0) + (settings_.tls ? 1 : 0) +
                    (settings_.dtls ? 1 : 0) + (settings_.alt_port != 0 ? 1 : 0) +
                    (settings_.alt_tls_port != 0 ? 2 : 0));
  const std::size_t reserve = kReservedDescriptors + n * (listeners + 8);
  const std::size_t usable = nofile > 2 * reserve ? nofile - reserve : nofile / 2;
  const std::size_t tcp_share = usable / 2;
  const std::size_t relay_share = usable - tcp_share;
  connections_ =
      std::make_unique<ConnectionLimits>(tcp_share, settings_.max_tcp_connections_per_ip);
  quotas_.limit_total(relay_share);
  log_.info("descriptors: " + std::to_string(nofile) +
            (raised_from < nofile ? " (soft limit raised from " + std::to_string(raised_from) + ")"
                                  : std::string()) +
            "; TCP connections at most " + std::to_string(tcp_share) + ", " +
            (settings_.max_tcp_connections_per_ip != 0
                 ? std::to_string(settings_.max_tcp_connections_per_ip)
                 : std::string("any number")) +
            " per client address; allocations at most " + std::to_string(quotas_.total_limit()));
  if (nofile < 4096) {
    log_.warning("only " + std::to_string(nofile) +
                 " descriptors (RLIMIT_NOFILE): each allocation takes one, each TCP client two; "
                 "raise the hard limit (LimitNOFILE= in systemd, ulimit -Hn)");
  }
  shared_ = std::make_unique<WorkerShared>(
      WorkerShared{settings_.credentials ? *settings_.credentials : kNoUsers, *nonces_, quotas_,
                   *reservations_, *open_relays_, *connections_, tls_.get()});
  shared_->wall_clock = &kSystemWallClock;
  if (settings_.turn.tcp_relay) {
    open_tcp_relays_ = std::make_unique<turn::RelayRegistry>(settings_.relay_addresses);
    shared_->open_tcp_relays = open_tcp_relays_.get();
  }
  if (settings_.turn.tcp_relay && n > 1) {
    auto handoffs = Handoffs::create(n, kHandoffQueueLimit);
    if (!handoffs) return std::move(handoffs).failure();
    handoffs_ = std::move(*handoffs);
    shared_->handoffs = handoffs_.get();
  }
  // RFC 8016: one ticket key for all workers (a ticket names the worker holding its
  // allocation), from the CSPRNG or no start; mailboxes when allocations can change worker.
  if (settings_.turn.mobility) {
    auto tickets = auth::TicketCodec::with_random_key();
    if (!tickets) return std::move(tickets).failure();
    tickets_.emplace(*tickets);
    shared_->tickets = &*tickets_;
    if (n > 1) {
      auto moves = MobilityMailboxes::create(n, kMobilityQueueLimit);
      if (!moves) return std::move(moves).failure();
      moves_ = std::move(*moves);
      shared_->moves = moves_.get();
    }
  }
  // A user database is read once now, so the workers start with its snapshot (a database that
  // cannot be read is logged and retried by the thread: the configured credentials still work).
  if (settings_.credential_refresh) {
    refresher_ =
        std::make_unique<RefresherThread>(settings_.credential_refresh, kSystemWallClock, log_);
    refresher_->run_once();
  }
  // Bind everything before starting any thread, so a port in use fails the start cleanly.
  for (unsigned i = 0; i < n; ++i) {
    auto w = Worker::open(settings_, *shared_, log_, i);
    if (!w) {
      workers_.clear();
      return std::move(w).failure();
    }
    workers_.push_back(std::move(*w));
  }
  for (auto& w : workers_) w->start();
  if (refresher_) refresher_->start();
  running_ = true;
  for (const auto& ip : ips) {
    Address a = ip;
    a.set_port(settings_.port);
    std::string what = settings_.udp && settings_.tcp ? "UDP+TCP" : settings_.udp ? "UDP" : "TCP";
    log_.info("listening on " + a.to_string() + " (" + what + ", " + std::to_string(n) +
              " workers)");
    if (settings_.tls && settings_.tcp) {
      log_.info("listening on " + a.to_string() + " (TLS too: told apart by the first byte)");
    }
    if (settings_.dtls && settings_.udp) {
      log_.info("listening on " + a.to_string() + " (DTLS too: told apart by the first byte)");
    }
    if (settings_.alt_port != 0) {
      Address alt = a;
      alt.set_port(settings_.alt_port);
      log_.info("listening on " + alt.to_string() + " (UDP, RFC 5780 alternate port)");
    }
    a.set_port(settings_.tls_port);
    if (settings_.tls && (settings_.tls_port != settings_.port || !settings_.tcp)) {
      log_.info("listening on " + a.to_string() + " (TLS)");
    }
    if (settings_.dtls && (settings_.tls_port != settings_.port || !settings_.udp)) {
      log_.info("listening on " + a.to_string() + " (DTLS)");
    }
    if (settings_.alt_tls_port != 0) {
      a.set_port(settings_.alt_tls_port);
      log_.info("listening on " + a.to_string() + " (" +
                (settings_.tls && settings_.dtls ? "TLS+DTLS"
                 : settings_.tls                 ? "TLS"
                                                 : "DTLS") +
                ", RFC 5780 alternate port)");
    }
  }
  return {};
}

Expected<void> Runtime::reload_certificates() {
  if (tls_ == nullptr) return {};
  auto fresh = tls::TlsContext::load(settings_.tls_files, settings_.dtls);
  if (!fresh) return std::move(fresh).failure();
  tls_->replace(std::move(*fresh));
  return {};
}

std::vector<WorkerStats> Runtime::stats() const {
  std::vector<WorkerStats> out;
  out.reserve(workers_.size());
  for (const auto& w : workers_) out.push_back(w->stats());
  return out;
}

void Runtime::stop() {
  if (refresher_) refresher_->stop();
  if (!running_) return;
  for (auto& w : workers_) w->request_stop();
  for (auto& w : workers_) w->join();
  workers_.clear();
  running_ = false;
}

}  // namespace ferry::net
