#include "ferry/turn/quotas.h"

namespace ferry::turn {

bool Quotas::acquire(std::string_view user, const Address& client) {
  std::lock_guard<std::mutex> lock(mu_);
  if (total_quota_ != 0 && total_ >= total_quota_) return false;
  auto it = per_user_.find(std::string(user));
  std::size_t used = it == per_user_.end() ? 0 : it->second;
  if (user_quota_ != 0 && used >= user_quota_) return false;
  const bool by_ip = !client.empty();
  if (by_ip && per_ip_quota_ != 0) {
    auto ip = per_ip_.find(ip_of(client));
    if (ip != per_ip_.end() && ip->second >= per_ip_quota_) return false;
  }
  ++total_;
  if (it == per_user_.end()) {
    per_user_.emplace(std::string(user), 1);
  } else {
    ++it->second;
  }
  if (by_ip) ++per_ip_[ip_of(client)];
  return true;
}

void Quotas::release(std::string_view user, const Address& client) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = per_user_.find(std::string(user));
  if (it == per_user_.end()) return;
  if (--it->second == 0) per_user_.erase(it);  // no entry left behind per departed user
  if (total_ > 0) --total_;
  if (!client.empty()) {
    auto ip = per_ip_.find(ip_of(client));
    if (ip != per_ip_.end() && --ip->second == 0) per_ip_.erase(ip);  // nor per address
  }
}

bool Quotas::move(const Address& from, const Address& to) {
  std::lock_guard<std::mutex> lock(mu_);
  if (from.empty() || to.empty()) return from.empty() == to.empty();
  const Address old_key = ip_of(from);
  const Address new_key = ip_of(to);
  if (old_key == new_key) return true;
  auto there = per_ip_.find(new_key);
  if (per_ip_quota_ != 0 && there != per_ip_.end() && there->second >= per_ip_quota_) return false;
  if (auto here = per_ip_.find(old_key); here != per_ip_.end() && --here->second == 0) {
    per_ip_.erase(here);
  }
  ++per_ip_[new_key];
  return true;
}

bool Quotas::acquire_relay() {
  std::lock_guard<std::mutex> lock(mu_);
  if (total_quota_ != 0 && total_ >= total_quota_) return false;
  ++total_;
  return true;
}

void Quotas::release_relay() {
  std::lock_guard<std::mutex> lock(mu_);
  if (total_ > 0) --total_;
}

std::vector<std::pair<std::string, std::size_t>> Quotas::per_user() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {per_user_.begin(), per_user_.end()};
}

std::size_t Quotas::total() const {
  std::lock_guard<std::mutex> lock(mu_);
  return total_;
}

}  // namespace ferry::turn
