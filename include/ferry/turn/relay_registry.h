// The relay addresses this server has open right now, shared by every worker.
//
// Why: two clients relayed through the same server pair their relay candidates, so one
// allocation's peer is another allocation's relay address. When that address is loopback or
// private (a server on one machine, or behind NAT with external-ip), the peer policy would
// refuse it; this registry lets exactly the open relays through, and nothing else on those
// addresses (a local service on a port of the relay range stays unreachable).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "ferry/common/address.h"

namespace ferry::turn {

class RelayRegistry {
 public:
  // The relay IPs are fixed at start (relay-ip, else the listening addresses).
  explicit RelayRegistry(const std::vector<Address>& ips);
  // Called when an allocation takes or gives back its relay address (rare: requests and
  // expiry); a relay IP not in the list is ignored.
  void add(const Address& relay);
  void remove(const Address& relay);
  // Lock-free: on the Send-indication path.
  bool contains(const Address& peer) const;
  // An open relay on `port` on any relay IP of `family` (external-ip without a private part).
  bool contains_port(Family family, std::uint16_t port) const;

  // The free-port structure of the relay pools (issue 16 item 6): a port of [lo, hi] on `ip`
  // that no relay holds, searched from lo + start % (hi - lo + 1) onwards, wrapping; an even
  // one when `even`. nullopt when every such port is held or `ip` is not a relay IP: a full
  // range answers 508 after a scan of at most 1,024 words, without a bind() per port.
  std::optional<std::uint16_t> free_port(const Address& ip, std::uint16_t lo, std::uint16_t hi,
                                         std::uint32_t start, bool even) const;
  bool is_relay_ip(const Address& ip) const { return find(ip) != nullptr; }

 private:
  static constexpr std::size_t kWords = 65536 / 64;
  struct Ports {
    Address ip;
    std::unique_ptr<std::atomic<std::uint64_t>[]> bits;
  };
  const Ports* find(const Address& a) const;
  std::vector<Ports> ips_;
};

}  // namespace ferry::turn
