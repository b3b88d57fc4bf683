#include "reservations.h"

#include <openssl/rand.h>
#include <unistd.h>

namespace ferry::net {

Reservations::~Reservations() {
  for (auto& [token, h] : held_) close(h.fd);
}

Reservations::Token Reservations::put(int fd, const Address& address, TimePoint now) {
  std::lock_guard<std::mutex> lock(mu_);
  sweep(now);
  Token t{};
  do {
    RAND_bytes(t.data(), static_cast<int>(t.size()));
  } while (held_.contains(t));
  held_[t] = Held{fd, address, now + kHold};
  return t;
}

std::optional<Reservations::Held> Reservations::take(const Token& token, TimePoint now) {
  std::lock_guard<std::mutex> lock(mu_);
  sweep(now);
  auto it = held_.find(token);
  if (it == held_.end()) return std::nullopt;
  Held h = it->second;
  held_.erase(it);
  return h;
}

std::size_t Reservations::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return held_.size();
}

void Reservations::sweep(TimePoint now) {
  for (auto it = held_.begin(); it != held_.end();) {
    if (it->second.expires <= now) {
      close(it->second.fd);  // the port goes back to the pool
      it = held_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace ferry::net
