// Bounds on client stream connections, shared by every worker (issue 16 item 3): in total
// (below RLIMIT_NOFILE, with descriptors kept for relay sockets) and per source IP, so that
// one address cannot take every descriptor with idle or slow connections. Touched per
// accept and close, never per packet, so a mutex is fine.
#pragma once

#include <cstddef>
#include <mutex>
#include <unordered_map>

#include "ferry/common/address.h"

namespace ferry::net {

class ConnectionLimits {
 public:
  enum class Verdict { kAccepted, kOverTotal, kOverPerIp };
  // 0: no bound.
  ConnectionLimits(std::size_t total, std::size_t per_ip) : total_(total), per_ip_(per_ip) {}
  // Takes a connection slot for `client` (its IPv4 address or IPv6 /64: client_key()).
  Verdict acquire(const Address& client);
  // Gives back a slot acquire() granted.
  void release(const Address& client);

 private:
  static Address key(const Address& client) { return client_key(client); }
  std::mutex mu_;
  const std::size_t total_;
  const std::size_t per_ip_;
  std::size_t open_ = 0;
  std::unordered_map<Address, std::size_t> per_ip_open_;
};

}  // namespace ferry::net
