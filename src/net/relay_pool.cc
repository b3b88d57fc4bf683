#include "relay_pool.h"

#include "sockets.h"

#include <netinet/in.h>
#include <openssl/rand.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace ferry::net {

namespace {

// Random tries before falling back to a scan: with a mostly free range one or two suffice; the
// scan makes "exhausted" a fact, not a guess.
constexpr int kRandomTries = 32;

int bind_port(const Address& ip, std::uint16_t port, const std::string& device) {
  int fd = socket(ip.is_v6() ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  // IPV6_V6ONLY failing would let the socket take IPv4 too; SO_BINDTODEVICE failing (checked
  // once at start, Runtime::start) would relay through the wrong interface: no relay then.
  if ((ip.is_v6() && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) ||
      !bind_to_device(fd, device)) {
    ::close(fd);
    return -1;
  }
  Address a = ip;
  a.set_port(port);
  sockaddr_storage ss;
  socklen_t len = a.to_sockaddr(&ss);
  // No SO_REUSEPORT here: a relay port belongs to exactly one allocation.
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

RelayPool::RelayPool(Range range, Reservations& reservations, OnReadable on_readable,
                     OnBatchEnd on_batch_end, turn::RelayRegistry* registry)
    : min_port_(range.min_port),
      max_port_(range.max_port),
      device_(std::move(range.device)),
      reservations_(reservations),
      on_readable_(std::move(on_readable)),
      on_batch_end_(std::move(on_batch_end)),
      registry_(registry) {}

Expected<std::unique_ptr<RelayPool>> RelayPool::create(event_base* base, Range range,
                                                       Reservations& reservations,
                                                       OnReadable on_readable,
                                                       OnBatchEnd on_batch_end,
                                                       turn::RelayRegistry* registry) {
  std::unique_ptr<RelayPool> pool(new RelayPool(
      std::move(range), reservations, std::move(on_readable), std::move(on_batch_end), registry));
  pool->epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (pool->epoll_fd_ < 0) {
    return fail(std::string("epoll_create1 for the relay sockets: ") + std::strerror(errno));
  }
  auto ev = event::add_event(base, pool->epoll_fd_, EV_READ | EV_PERSIST, &RelayPool::on_event,
                             pool.get(), nullptr, "the relay sockets' epoll set");
  if (!ev) return std::move(ev).failure();
  pool->ev_ = std::move(*ev);
  return pool;
}

RelayPool::~RelayPool() {
  release_closed();
  for (int fd : fds_) {
    if (fd >= 0) ::close(fd);
  }
  ev_.reset();
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

int RelayPool::try_bind(const Address& ip, std::uint16_t port) {
  ++bind_attempts_;
  return bind_port(ip, port, device_);
}

// With the registry: pick ports it says are free, at random points of the range, and bind one.
// A bind can still fail (a reservation, another worker or another program holds the port): a
// few tries, each from a new random point, then 508. A full range costs a bitmap scan and no
// bind at all.
int RelayPool::bind_free(const Address& ip, bool even_port, Address* bound) {
  std::uint32_t r = 0;
  for (int i = 0; i < kRandomTries; ++i) {
    // RFC 8656 §7.2 wants relay ports hard to guess: without the CSPRNG, no relay (508).
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&r), sizeof r) != 1) return -1;
    auto port = registry_->free_port(ip, min_port_, max_port_, r, even_port);
    if (!port) return -1;
    // Bind first: the kernel decides between workers racing for the same port, and the
    // registry bit (which the peer policy reads as "an open relay of ours") is set only for a
    // socket we hold (adopt()). Marking before binding once let a port held by a local service
    // pass as an open relay for the microseconds of a failed bind.
    int fd = try_bind(ip, *port);
    if (fd >= 0) {
      *bound = ip;
      bound->set_port(*port);
      return fd;
    }
    if (errno != EADDRINUSE) return -1;  // a reservation or another program holds it
  }
  return -1;
}

int RelayPool::bind_random(const Address& ip, bool even_port, Address* bound) {
  if (registry_ != nullptr && registry_->is_relay_ip(ip)) return bind_free(ip, even_port, bound);
  const std::uint32_t span = static_cast<std::uint32_t>(max_port_ - min_port_) + 1;
  std::uint32_t r = 0;
  for (int i = 0; i < kRandomTries; ++i) {
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&r), sizeof r) != 1) return -1;
    auto port = static_cast<std::uint16_t>(min_port_ + r % span);
    if (even_port && (port & 1) != 0) continue;
    int fd = try_bind(ip, port);
    if (fd >= 0) {
      *bound = ip;
      bound->set_port(port);
      return fd;
    }
    if (errno != EADDRINUSE) return -1;
  }
  for (std::uint32_t k = 0; k < span; ++k) {  // from the last random point, wrapping
    auto port = static_cast<std::uint16_t>(min_port_ + (r + k) % span);
    if (even_port && (port & 1) != 0) continue;
    int fd = try_bind(ip, port);
    if (fd >= 0) {
      *bound = ip;
      bound->set_port(port);
      return fd;
    }
  }
  return -1;
}

Result<turn::Relay> RelayPool::open(const Address& ip, bool even_port) {
  Address bound;
  int fd = bind_random(ip, even_port, &bound);
  if (fd < 0) return Error{"no free relay port"};
  return adopt(fd, bound);
}

Result<turn::Relay> RelayPool::adopt(int fd, const Address& bound) {
  auto relay = watch(fd, bound);
  // A relay nobody would ever read (ENOMEM, ENOSPC: max_user_watches): refuse it (508) rather
  // than hand out an address whose peers' data is never delivered.
  if (!relay) ::close(fd);
  return relay;
}

Result<turn::Relay> RelayPool::watch(int fd, const Address& bound) {
  epoll_event ev{};
  ev.events = EPOLLIN;  // level-triggered: what one wake-up leaves unread is reported again
  turn::RelayId id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
  } else {
    id = static_cast<turn::RelayId>(fds_.size());
    fds_.push_back(-1);
  }
  ev.data.u32 = id;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    free_.push_back(id);
    return Error{"cannot watch the relay socket"};
  }
  fds_[id] = fd;
  if (bound_.size() < fds_.size()) bound_.resize(fds_.size());
  bound_[id] = bound;
  if (df_.size() < fds_.size()) df_.resize(fds_.size());
  df_[id] = false;
  if (registry_ != nullptr) registry_->add(bound);  // a claimed reservation is marked here
  ++open_;
  return turn::Relay{id, bound};
}

Result<RelayPool::Token> RelayPool::reserve(const Address& ip_port, std::string_view owner,
                                            const turn::RealmLimits& realm, TimePoint now) {
  if (ip_port.port() < min_port_ || ip_port.port() > max_port_) {
    return Error{"reserved port outside the relay range"};
  }
  int fd = try_bind(ip_port, ip_port.port());
  if (fd < 0) return Error{"port taken"};
  auto token = reservations_.put(fd, ip_port, owner, now, realm);
  if (!token) return Error{"reservation quota reached"};
  return *token;
}

Result<turn::Relay> RelayPool::claim(const Token& token, TimePoint now) {
  auto held = reservations_.take(token, now);
  if (!held) return Error{"unknown or lapsed reservation token"};
  return adopt(held->fd, held->address);
}

bool RelayPool::can_dont_fragment() const {
  return kDontFragmentSupported;
}

bool RelayPool::set_dont_fragment(turn::RelayId id) {
  if (id >= fds_.size() || fds_[id] < 0) return false;
  if (!net::set_dont_fragment(fds_[id], bound_[id].is_v6())) return false;
  df_[id] = true;
  return true;
}

void RelayPool::close(turn::RelayId id) {
  if (id >= fds_.size() || fds_[id] < 0) return;
  // Cannot fail for a registered descriptor. If it did, nothing is lost: closing the
  // descriptor (release_closed) takes it off the set, and until then a stale event names
  // this id, which is either free (fd(id) == -1: skipped) or the next relay's (read in vain,
  // EAGAIN).
  (void)epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fds_[id], nullptr);
  closing_.push_back(fds_[id]);
  fds_[id] = -1;
  if (registry_ != nullptr) registry_->remove(bound_[id]);
  free_.push_back(id);
  --open_;
}

Result<turn::MovedRelay> RelayPool::detach(turn::RelayId id) {
  if (id >= fds_.size() || fds_[id] < 0) return Error{"no such relay"};
  // Off this worker's epoll set: from now on only the adopting worker reads it. A send batch
  // never holds it here (the owner flushes after every batch; moves run between batches).
  (void)epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fds_[id], nullptr);
  turn::MovedRelay moved{fds_[id], bound_[id], df_[id]};
  fds_[id] = -1;
  free_.push_back(id);
  --open_;
  return moved;
}

Result<turn::Relay> RelayPool::attach(const turn::MovedRelay& moved) {
  auto relay = watch(moved.handle, moved.address);
  if (relay && moved.dont_fragment) df_[relay->id] = true;
  return relay;
}

void RelayPool::close_moved(const turn::MovedRelay& moved) {
  if (moved.handle >= 0) ::close(moved.handle);
  if (registry_ != nullptr) registry_->remove(moved.address);
}

void RelayPool::close_pending() {
  for (int fd : closing_) ::close(fd);
  closing_.clear();
}

void RelayPool::on_event(evutil_socket_t /*fd*/, short /*what*/, void* arg) {
  static_cast<RelayPool*>(arg)->drain_ready();
}

void RelayPool::drain_ready() {
  std::array<epoll_event, 64> ready;
  int n = epoll_wait(epoll_fd_, ready.data(), static_cast<int>(ready.size()), 0);
  for (int i = 0; i < n; ++i) {
    const turn::RelayId id = ready[static_cast<std::size_t>(i)].data.u32;
    // An earlier socket's packets cannot close this one today, but check rather than trust.
    if (int fd = this->fd(id); fd >= 0) on_readable_(id, fd);
  }
  on_batch_end_();
}

}  // namespace ferry::net
