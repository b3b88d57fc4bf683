#include "ferry/net/runtime.h"

#include <sys/socket.h>

#include <thread>

#include "reservations.h"
#include "sockets.h"
#include "worker.h"

namespace ferry::net {

namespace {
// Without configured users the store is empty: every TURN request is then refused anyway.
const auth::StaticUsers kNoUsers{""};
}  // namespace

Runtime::Runtime(const ServerSettings& settings, Logger& log)
    : settings_(settings),
      log_(log),
      nonces_(auth::NonceCodec::with_random_key()),
      quotas_(settings.user_quota, settings.total_quota),
      reservations_(std::make_unique<Reservations>()),
      shared_{settings_.credentials ? *settings_.credentials : kNoUsers, nonces_, quotas_} {}

Runtime::~Runtime() {
  stop();
}

bool Runtime::start(std::string* error) {
  ips_ = settings_.listen_ips.empty() ? local_addresses() : settings_.listen_ips;
  if (ips_.empty()) {
    *error = "no address to listen on";
    return false;
  }
  unsigned n = settings_.threads != 0 ? settings_.threads : std::thread::hardware_concurrency();
  if (n == 0) n = 1;
  for (Address ip : ips_) {
    ip.set_port(settings_.port);
    if ((settings_.udp && port_taken(ip, SOCK_DGRAM, error)) ||
        (settings_.tcp && port_taken(ip, SOCK_STREAM, error))) {
      return false;
    }
    // The server's own listening endpoints are never peers (no relaying to ourselves).
    settings_.turn.peers.own_addresses.push_back(ip);
  }
  if (!settings_.relay_device.empty()) {
    // Relay sockets are opened later, per allocation: try the device once now so that a wrong
    // name or a missing CAP_NET_RAW stops the start instead of failing every Allocate.
    int probe = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    bool ok = bind_to_device(probe, settings_.relay_device, error);
    close_fd(probe);
    if (!ok) return false;
  }
  // Relays bind to relay-ip, else to the listening address the client used.
  open_relays_ = std::make_unique<turn::RelayRegistry>(
      settings_.turn.relay_ips.empty() ? ips_ : settings_.turn.relay_ips);
  // Bind everything before starting any thread, so a port in use fails the start cleanly.
  for (unsigned i = 0; i < n; ++i) {
    Worker::Shared shared{shared_.credentials, shared_.nonces, shared_.quotas, *reservations_,
                          *open_relays_};
    auto w = std::make_unique<Worker>(settings_, shared, log_, i);
    if (!w->open(ips_, error)) {
      workers_.clear();
      return false;
    }
    workers_.push_back(std::move(w));
  }
  for (auto& w : workers_) w->start();
  running_ = true;
  for (const auto& ip : ips_) {
    Address a = ip;
    a.set_port(settings_.port);
    std::string what = settings_.udp && settings_.tcp ? "UDP+TCP" : settings_.udp ? "UDP" : "TCP";
    log_.info("listening on " + a.to_string() + " (" + what + ", " + std::to_string(n) +
              " workers)");
  }
  return true;
}

std::vector<WorkerStats> Runtime::stats() const {
  std::vector<WorkerStats> out;
  out.reserve(workers_.size());
  for (const auto& w : workers_) out.push_back(w->stats());
  return out;
}

void Runtime::stop() {
  if (!running_) return;
  for (auto& w : workers_) w->request_stop();
  for (auto& w : workers_) w->join();
  workers_.clear();
  running_ = false;
}

}  // namespace ferry::net
