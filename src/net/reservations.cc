#include "reservations.h"

#include <openssl/rand.h>
#include <unistd.h>

namespace ferry::net {

Reservations::~Reservations() {
  for (auto& [token, h] : held_) {
    close(h.fd);
    quotas_.release(h.owner, {}, h.realm);
  }
}

std::optional<Reservations::Token> Reservations::put(int fd, const Address& address,
                                                     std::string_view owner, TimePoint now,
                                                     const turn::RealmLimits& realm) {
  std::lock_guard<std::mutex> lock(mu_);
  sweep_locked(now);
  if (held_.size() >= max_held_ || !quotas_.acquire(owner, {}, realm)) {
    close(fd);
    return std::nullopt;
  }
  Token t{};
  do {
    // The token is the only proof of the reservation: never a guessable one.
    if (RAND_bytes(t.data(), static_cast<int>(t.size())) != 1) {
      quotas_.release(owner, {}, realm.realm);
      close(fd);
      return std::nullopt;
    }
  } while (held_.contains(t));
  held_[t] = Held{fd, address, now + kHold, std::string(owner), realm.realm};
  return t;
}

std::optional<Reservations::Held> Reservations::take(const Token& token, TimePoint now) {
  std::lock_guard<std::mutex> lock(mu_);
  sweep_locked(now);
  auto it = held_.find(token);
  if (it == held_.end()) return std::nullopt;
  Held h = std::move(it->second);
  held_.erase(it);
  quotas_.release(h.owner, {}, h.realm);
  return h;
}

void Reservations::sweep(TimePoint now) {
  std::lock_guard<std::mutex> lock(mu_);
  sweep_locked(now);
}

std::size_t Reservations::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return held_.size();
}

void Reservations::sweep_locked(TimePoint now) {
  for (auto it = held_.begin(); it != held_.end();) {
    if (it->second.expires <= now) {
      close(it->second.fd);  // the port goes back to the pool
      quotas_.release(it->second.owner, {}, it->second.realm);
      it = held_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace ferry::net
