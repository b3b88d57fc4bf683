#include "ferry/turn/quotas.h"

namespace ferry::turn {

bool Quotas::acquire(std::string_view user, const Address& client, const RealmLimits& realm) {
  std::lock_guard<std::mutex> lock(mu_);
  if (total_quota_ != 0 && total_ >= total_quota_) return false;
  if (realm.realm >= realms_.size()) return false;  // no such index: a programming error
  RealmCount& counts = realms_[realm.realm];
  if (realm.total_quota && *realm.total_quota != 0 && counts.total >= *realm.total_quota) {
    return false;
  }
  auto it = counts.per_user.find(std::string(user));
  std::size_t used = it == counts.per_user.end() ? 0 : it->second;
  const std::uint64_t user_quota = realm.user_quota.value_or(user_quota_);
  if (user_quota != 0 && used >= user_quota) return false;
  const bool by_ip = !client.empty();
  if (by_ip && per_ip_quota_ != 0) {
    auto ip = per_ip_.find(ip_of(client));
    if (ip != per_ip_.end() && ip->second >= per_ip_quota_) return false;
  }
  ++total_;
  ++counts.total;
  if (it == counts.per_user.end()) {
    counts.per_user.emplace(std::string(user), 1);
  } else {
    ++it->second;
  }
  if (by_ip) ++per_ip_[ip_of(client)];
  return true;
}

void Quotas::release(std::string_view user, const Address& client, std::uint16_t realm) {
  std::lock_guard<std::mutex> lock(mu_);
  if (realm >= realms_.size()) return;
  RealmCount& counts = realms_[realm];
  auto it = counts.per_user.find(std::string(user));
  if (it == counts.per_user.end()) return;
  if (--it->second == 0) counts.per_user.erase(it);  // no entry left behind per departed user
  if (counts.total > 0) --counts.total;
  if (total_ > 0) --total_;
  if (!client.empty()) {
    auto ip = per_ip_.find(ip_of(client));
    if (ip != per_ip_.end() && --ip->second == 0) per_ip_.erase(ip);  // nor per address
  }
}

std::optional<std::uint16_t> Quotas::realm_index(std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = index_.find(std::string(name)); it != index_.end()) return it->second;
  if (realms_.size() >= kMaxRealms) return std::nullopt;
  const auto index = static_cast<std::uint16_t>(realms_.size());
  owned_.push_back(std::make_unique<const std::string>(name));
  names_[index].store(owned_.back().get(), std::memory_order_release);
  index_.emplace(std::string(name), index);
  realms_.emplace_back();
  return index;
}

std::size_t Quotas::realm_total(std::uint16_t index) const {
  std::lock_guard<std::mutex> lock(mu_);
  return index < realms_.size() ? realms_[index].total : 0;
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
  // One series per name: the same name in two realms is summed.
  std::unordered_map<std::string, std::size_t> merged;
  for (const auto& r : realms_) {
    for (const auto& [name, n] : r.per_user) merged[name] += n;
  }
  return {merged.begin(), merged.end()};
}

std::size_t Quotas::total() const {
  std::lock_guard<std::mutex> lock(mu_);
  return total_;
}

}  // namespace ferry::turn
