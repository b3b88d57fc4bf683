// Starts and stops the share-nothing workers. The only libevent code lives under src/net.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ferry/auth/nonce.h"
#include "ferry/auth/ticket.h"
#include "ferry/common/expected.h"
#include "ferry/common/logger.h"
#include "ferry/common/result.h"
#include "ferry/net/settings.h"
#include "ferry/net/stats.h"
#include "ferry/turn/quotas.h"
#include "ferry/turn/relay_registry.h"

namespace ferry::net {

class Worker;
class RefresherThread;
struct WorkerShared;
class Reservations;
class ConnectionLimits;
template <class T>
class Mailboxes;
struct HandedConnection;
struct MobilityMail;
using Handoffs = Mailboxes<HandedConnection>;
using MobilityMailboxes = Mailboxes<MobilityMail>;

class Runtime {
 public:
  Runtime(const ServerSettings& settings, Logger& log);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Opens every socket in every worker (so a bind failure is reported before any thread runs)
  // and starts the worker threads. A failure says which address failed and why.
  Expected<void> start();
  // Asks every worker to stop and joins them. Safe to call more than once.
  void stop();

  // The addresses actually listened on (for logs, tests and the test page's URLs).
  const std::vector<Address>& listen_ips() const { return settings_.listen_ips; }
  // Every worker's counters (for /metrics); the pointers stay valid until stop().
  std::vector<WorkerStats> stats() const;
  // Reads the certificate and key again (SIGUSR2, SIGHUP): new TLS and DTLS handshakes use them,
  // sessions already up keep theirs. On failure the old ones stay in force, and the error says
  // why. Nothing to do (and no error) when TLS and DTLS are off.
  Expected<void> reload_certificates();
  // Allocations per user, across workers (the quotas' own count).
  const turn::Quotas& quotas() const { return quotas_; }

 private:
  const ServerSettings settings_;
  Logger& log_;
  std::optional<auth::NonceCodec> nonces_;  // keyed at start
  turn::Quotas quotas_;
  // EVEN-PORT reservations, shared by the workers (declared before them: outlives them).
  std::unique_ptr<Reservations> reservations_;
  std::unique_ptr<turn::RelayRegistry> open_relays_;      // made at start, when the IPs are known
  std::unique_ptr<turn::RelayRegistry> open_tcp_relays_;  // RFC 6062 TCP allocations'
  std::unique_ptr<ConnectionLimits> connections_;         // made at start, from RLIMIT_NOFILE
  std::unique_ptr<tls::TlsHolder> tls_;                   // loaded at start when TLS or DTLS is on
  std::unique_ptr<Handoffs> handoffs_;                    // RFC 6062 ConnectionBind across workers
  std::optional<auth::TicketCodec> tickets_;              // RFC 8016, keyed at start
  std::unique_ptr<MobilityMailboxes> moves_;              // RFC 8016 moves across workers
  std::unique_ptr<WorkerShared> shared_;                  // the above, for the workers
  std::unique_ptr<RefresherThread> refresher_;  // keeps a user database's snapshot current
  std::vector<std::unique_ptr<Worker>> workers_;
  bool running_ = false;
};

// Descriptors the process may open (RLIMIT_NOFILE): the soft limit is raised to the hard one
// first (the usual soft limit, 1024, is far below what a relay needs). Returns the limit now in
// force and, in `raised_from`, what it was.
std::size_t raise_descriptor_limit(std::size_t* raised_from);

// Every usable local address (IPv4 and IPv6, loopback included, link-local IPv6 excluded).
std::vector<Address> local_addresses();

}  // namespace ferry::net
