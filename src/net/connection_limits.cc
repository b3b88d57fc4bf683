#include "connection_limits.h"

namespace ferry::net {

ConnectionLimits::Verdict ConnectionLimits::acquire(const Address& client) {
  std::lock_guard<std::mutex> lock(mu_);
  if (total_ != 0 && open_ >= total_) return Verdict::kOverTotal;
  auto [it, inserted] = per_ip_open_.try_emplace(key(client), 0);
  if (per_ip_ != 0 && it->second >= per_ip_) return Verdict::kOverPerIp;
  ++it->second;
  ++open_;
  return Verdict::kAccepted;
}

void ConnectionLimits::release(const Address& client) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = per_ip_open_.find(key(client));
  if (it == per_ip_open_.end()) return;
  // No entry is left behind per departed address: the map holds only addresses with
  // connections open now.
  if (--it->second == 0) per_ip_open_.erase(it);
  if (open_ > 0) --open_;
}

}  // namespace ferry::net
