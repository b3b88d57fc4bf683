#include "handoff.h"

#include <openssl/ssl.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace ferry::net {

int make_wake_fd() {
  return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

void wake(int fd) {
  const std::uint64_t one = 1;
  // Fails only when the counter would overflow, which an unread earlier wake-up prevents.
  (void)!::write(fd, &one, sizeof one);
}

void drain_wakes(int fd) {
  std::uint64_t n = 0;
  (void)!::read(fd, &n, sizeof n);
}

void close_wake_fd(int fd) {
  if (fd >= 0) ::close(fd);
}

void discard(HandedConnection& c) {
  if (c.ssl != nullptr) SSL_free(c.ssl);
  c.ssl = nullptr;
  if (c.fd >= 0) ::close(c.fd);
  c.fd = -1;
}

}  // namespace ferry::net
