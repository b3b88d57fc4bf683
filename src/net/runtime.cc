#include "ferry/net/runtime.h"

#include <thread>

#include "worker.h"

namespace ferry::net {

Runtime::Runtime(const ServerSettings& settings, Logger& log) : settings_(settings), log_(log) {}

Runtime::~Runtime() { stop(); }

bool Runtime::start(std::string* error) {
  ips_ = settings_.listen_ips.empty() ? local_addresses() : settings_.listen_ips;
  if (ips_.empty()) {
    *error = "no address to listen on";
    return false;
  }
  unsigned n = settings_.threads != 0 ? settings_.threads : std::thread::hardware_concurrency();
  if (n == 0) n = 1;
  // Bind everything before starting any thread, so a port in use fails the start cleanly.
  for (unsigned i = 0; i < n; ++i) {
    auto w = std::make_unique<Worker>(settings_, log_, i);
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

void Runtime::stop() {
  if (!running_) return;
  for (auto& w : workers_) w->request_stop();
  for (auto& w : workers_) w->join();
  workers_.clear();
  running_ = false;
}

}  // namespace ferry::net
