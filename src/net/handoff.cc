#include "handoff.h"

#include <openssl/ssl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace ferry::net {

void discard(HandedConnection& c) {
  if (c.ssl != nullptr) SSL_free(c.ssl);
  c.ssl = nullptr;
  if (c.fd >= 0) ::close(c.fd);
  c.fd = -1;
}

Expected<std::unique_ptr<Handoffs>> Handoffs::create(unsigned workers) {
  std::unique_ptr<Handoffs> h(new Handoffs());
  for (unsigned i = 0; i < workers; ++i) {
    auto q = std::make_unique<Queue>();
    q->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (q->fd < 0) return fail(std::string("eventfd for handoffs: ") + std::strerror(errno));
    h->queues_.push_back(std::move(q));
  }
  return h;
}

Handoffs::~Handoffs() {
  for (auto& q : queues_) {
    for (auto& c : q->items) discard(c);
    if (q->fd >= 0) ::close(q->fd);
  }
}

bool Handoffs::push(unsigned worker, HandedConnection&& c) {
  if (worker >= queues_.size()) return false;
  Queue& q = *queues_[worker];
  {
    std::lock_guard<std::mutex> lock(q.mu);
    if (q.items.size() >= kQueueLimit) return false;
    q.items.push_back(std::move(c));
  }
  const std::uint64_t one = 1;
  // Fails only when the counter would overflow, which an unread earlier wake-up prevents.
  (void)!::write(q.fd, &one, sizeof one);
  return true;
}

std::vector<HandedConnection> Handoffs::take(unsigned worker) {
  Queue& q = *queues_[worker];
  std::uint64_t n = 0;
  (void)!::read(q.fd, &n, sizeof n);  // reset the wake-up before taking: none is lost
  std::lock_guard<std::mutex> lock(q.mu);
  std::vector<HandedConnection> out(std::make_move_iterator(q.items.begin()),
                                    std::make_move_iterator(q.items.end()));
  q.items.clear();
  return out;
}

}  // namespace ferry::net
