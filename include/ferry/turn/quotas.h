// Allocation quotas shared by every worker (user-quota, total-quota -> 486, RFC 8656 §7.2).
// Touched only when an allocation is created or ends, never per packet, so a mutex is fine.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ferry::turn {

class Quotas {
 public:
  // 0 means unlimited.
  Quotas(std::size_t user_quota, std::size_t total_quota)
      : user_quota_(user_quota), total_quota_(total_quota) {}
  // Takes one allocation for `user`; false when a quota is reached.
  bool acquire(std::string_view user);
  void release(std::string_view user);
  std::size_t total() const;
  // Users with allocations now, and how many each (for prometheus-username-labels). A copy
  // taken under the lock: the scrape never holds it while it formats.
  std::vector<std::pair<std::string, std::size_t>> per_user() const;

 private:
  mutable std::mutex mu_;
  std::size_t user_quota_;
  std::size_t total_quota_;
  std::size_t total_ = 0;
  std::unordered_map<std::string, std::size_t> per_user_;
};

}  // namespace ferry::turn
