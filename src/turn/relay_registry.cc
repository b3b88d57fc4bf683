#include "ferry/turn/relay_registry.h"

namespace ferry::turn {

RelayRegistry::RelayRegistry(const std::vector<Address>& ips) {
  for (const auto& ip : ips) {
    if (find(ip) != nullptr) continue;
    Ports p{ip, std::make_unique<std::atomic<std::uint64_t>[]>(kWords)};
    p.ip.set_port(0);
    ips_.push_back(std::move(p));
  }
}

const RelayRegistry::Ports* RelayRegistry::find(const Address& a) const {
  for (const auto& p : ips_) {
    if (p.ip.same_ip(a)) return &p;
  }
  return nullptr;
}

void RelayRegistry::add(const Address& relay) {
  if (const Ports* p = find(relay)) {
    p->bits[relay.port() / 64].fetch_or(std::uint64_t{1} << (relay.port() % 64),
                                        std::memory_order_relaxed);
  }
}

void RelayRegistry::remove(const Address& relay) {
  if (const Ports* p = find(relay)) {
    p->bits[relay.port() / 64].fetch_and(~(std::uint64_t{1} << (relay.port() % 64)),
                                         std::memory_order_relaxed);
  }
}

bool RelayRegistry::contains(const Address& peer) const {
  const Ports* p = find(peer);
  if (p == nullptr) return false;
  std::uint64_t word = p->bits[peer.port() / 64].load(std::memory_order_relaxed);
  return (word >> (peer.port() % 64) & 1) != 0;
}

bool RelayRegistry::contains_port(Family family, std::uint16_t port) const {
  for (const auto& p : ips_) {
    if (p.ip.family() != family) continue;
    std::uint64_t word = p.bits[port / 64].load(std::memory_order_relaxed);
    if ((word >> (port % 64) & 1) != 0) return true;
  }
  return false;
}

}  // namespace ferry::turn
