// Allocation quotas shared by every worker (user-quota, total-quota, max-allocations-per-ip
// -> 486, RFC 8656 §7.2). An EVEN-PORT reservation counts like an allocation (it holds a port
// and a descriptor). Touched only when an allocation is created or ends, never per packet, so
// a mutex is fine.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ferry/common/address.h"

namespace ferry::turn {

class Quotas {
 public:
  // 0 means unlimited.
  Quotas(std::size_t user_quota, std::size_t total_quota, std::size_t per_ip_quota = 0)
      : user_quota_(user_quota), total_quota_(total_quota), per_ip_quota_(per_ip_quota) {}
  // Takes one allocation for `user` from `client` (counted by its IPv4 address or IPv6 /64,
  // client_key(); an empty address is counted for the user and the total only); false when a
  // quota is reached.
  bool acquire(std::string_view user, const Address& client = {});
  // Gives back what acquire() took, with the same arguments.
  void release(std::string_view user, const Address& client = {});
  // RFC 8016 mobility: an allocation's client moves from `from` to `to`. Its unit of
  // max-allocations-per-ip follows it: false (nothing changed) when `to`'s address has none
  // left. user-quota and total-quota are unchanged (the same allocation, the same user).
  bool move(const Address& from, const Address& to);
  // A dual allocation's second relay (RFC 8656 §7.2): one more unit of total-quota only. The
  // allocation counts once against user-quota and max-allocations-per-ip (as in coturn: those
  // count allocations, the unit RFC 8656's 486 speaks of), but the total is also the bound on
  // relay descriptors (limit_total), and each relay holds one. False when the total is reached.
  bool acquire_relay();
  void release_relay();
  std::size_t total() const;
  // Lowers total-quota to `bound` if it is unlimited or higher (the descriptors available for
  // relay sockets, known at start).
  void limit_total(std::size_t bound) {
    std::lock_guard<std::mutex> lock(mu_);
    if (total_quota_ == 0 || total_quota_ > bound) total_quota_ = bound;
  }
  std::size_t total_limit() const {
    std::lock_guard<std::mutex> lock(mu_);
    return total_quota_;
  }
  // Users with allocations now, and how many each (for prometheus-username-labels). A copy
  // taken under the lock: the scrape never holds it while it formats.
  std::vector<std::pair<std::string, std::size_t>> per_user() const;

 private:
  static Address ip_of(const Address& client) { return client_key(client); }
  mutable std::mutex mu_;
  std::size_t user_quota_;
  std::size_t total_quota_;
  std::size_t per_ip_quota_;
  std::size_t total_ = 0;
  std::unordered_map<std::string, std::size_t> per_user_;
  std::unordered_map<Address, std::size_t> per_ip_;
};

}  // namespace ferry::turn
