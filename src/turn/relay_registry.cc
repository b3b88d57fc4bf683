#include "ferry/turn/relay_registry.h"

#include <algorithm>

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

std::optional<std::uint16_t> RelayRegistry::free_port(const Address& ip, std::uint16_t lo,
                                                      std::uint16_t hi, std::uint32_t start,
                                                      bool even) const {
  const Ports* p = find(ip);
  if (p == nullptr || lo > hi) return std::nullopt;
  const std::uint32_t span = static_cast<std::uint32_t>(hi - lo) + 1;
  std::uint32_t port = lo + start % span;
  // Walk the bitmap a word at a time from `port` to hi, then from lo back to where we began.
  for (std::uint32_t scanned = 0; scanned < span;) {
    std::uint64_t word = p->bits[port / 64].load(std::memory_order_relaxed);
    if (even) word |= 0xAAAAAAAAAAAAAAAAULL;  // odd bit positions are odd ports
    // Bits below `port` in this word and above hi do not count.
    std::uint64_t free = ~word & (~std::uint64_t{0} << (port % 64));
    const std::uint32_t word_end = (port / 64) * 64 + 63;
    if (word_end > hi) free &= ~std::uint64_t{0} >> (word_end - hi);
    if (free != 0) {
      auto found = (port / 64) * 64 + static_cast<std::uint32_t>(__builtin_ctzll(free));
      return static_cast<std::uint16_t>(found);
    }
    const std::uint32_t next = std::min<std::uint32_t>(word_end, hi) + 1;
    scanned += next - port;
    port = next > hi ? lo : next;
  }
  return std::nullopt;
}

}  // namespace ferry::turn
