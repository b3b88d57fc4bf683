// Allocation quotas shared by every worker (user-quota, total-quota, max-allocations-per-ip
// -> 486, RFC 8656 §7.2). An EVEN-PORT reservation counts like an allocation (it holds a port
// and a descriptor). Touched only when an allocation is created or ends, never per packet, so
// a mutex is fine.
//
// Realms (coturn's turn_realm_option): each realm counts its own allocations and its users'
// (the same name in two realms is two users), under limits its database rows may set. A
// realm's user-quota replaces the configured one for its users (0: none), as in coturn; its
// total-quota bounds its own allocations *within* the configured total-quota, which stays the
// bound of the whole server (coturn gives each realm a copy of total-quota instead; here it is
// also the bound on relay descriptors, limit_total()). Realms are named by a small index
// (realm_index()): what an allocation keeps instead of a string.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ferry/common/address.h"

namespace ferry::turn {

// The realm an allocation is counted in, and the limits its turn_realm_option rows set
// (nullopt: the configured value applies).
struct RealmLimits {
  std::uint16_t realm = 0;  // Quotas::realm_index(); 0: the configured realm
  std::optional<std::uint64_t> user_quota;
  std::optional<std::uint64_t> total_quota;
};

class Quotas {
 public:
  // Realms a server keeps apart at most: they come from the database (never from what a client
  // sends), and each costs its name and a counter for the life of the process.
  static constexpr std::size_t kMaxRealms = 4096;

  // 0 means unlimited.
  Quotas(std::size_t user_quota, std::size_t total_quota, std::size_t per_ip_quota = 0)
      : user_quota_(user_quota), total_quota_(total_quota), per_ip_quota_(per_ip_quota) {}
  // Takes one allocation for `user` from `client` (counted by its IPv4 address or IPv6 /64,
  // client_key(); an empty address is counted for the user and the total only); false when a
  // quota is reached.
  bool acquire(std::string_view user, const Address& client = {}, const RealmLimits& realm = {});
  // Gives back what acquire() took, with the same arguments.
  void release(std::string_view user, const Address& client = {}, std::uint16_t realm = 0);
  // The index of realm `name` (1 and up; 0 stands for the configured realm and is never
  // returned), added on first use; nullopt once kMaxRealms realms have one.
  std::optional<std::uint16_t> realm_index(std::string_view name);
  // The name of an index realm_index() returned ("" for 0 and unknown indexes). Lock-free: a
  // name never changes or goes away once published.
  std::string_view realm_name(std::uint16_t index) const {
    if (index == 0 || index >= kMaxRealms) return {};
    const std::string* name = names_[index].load(std::memory_order_acquire);
    return name != nullptr ? std::string_view(*name) : std::string_view{};
  }
  // Allocations counted in realm `index` now.
  std::size_t realm_total(std::uint16_t index) const;
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
  struct RealmCount {
    std::size_t total = 0;
    std::unordered_map<std::string, std::size_t> per_user;  // no entry for a user at 0
  };
  std::vector<RealmCount> realms_{1};  // by realm index; [0]: the configured realm
  std::unordered_map<Address, std::size_t> per_ip_;
  // Realm names by index (realm_name() reads them without the lock), owned by `owned_`.
  std::array<std::atomic<const std::string*>, kMaxRealms> names_{};
  std::unordered_map<std::string, std::uint16_t> index_;
  std::vector<std::unique_ptr<const std::string>> owned_;
};

}  // namespace ferry::turn
