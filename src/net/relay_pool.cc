#include "relay_pool.h"

#include "sockets.h"

#include <netinet/in.h>
#include <openssl/rand.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace ferry::net {

namespace {

// Random tries before falling back to a scan: with a mostly free range one or two suffice; the
// scan makes "exhausted" a fact, not a guess.
constexpr int kRandomTries = 32;

int try_bind(const Address& ip, std::uint16_t port, const std::string& device) {
  int fd = socket(ip.is_v6() ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  if (ip.is_v6()) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  std::string ignored;
  if (!bind_to_device(fd, device, &ignored)) {  // checked once at start (Runtime::start)
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

RelayPool::RelayPool(event_base* base, Range range, Reservations& reservations,
                     OnReadable on_readable)
    : base_(base),
      min_port_(range.min_port),
      max_port_(range.max_port),
      device_(std::move(range.device)),
      reservations_(reservations),
      on_readable_(std::move(on_readable)) {}

RelayPool::~RelayPool() {
  for (auto& s : slots_) {
    if (s && s->fd >= 0) {
      event_free(s->ev);
      ::close(s->fd);
    }
  }
}

int RelayPool::bind_random(const Address& ip, bool even_port, Address* bound) {
  const std::uint32_t span = static_cast<std::uint32_t>(max_port_ - min_port_) + 1;
  std::uint32_t r = 0;
  for (int i = 0; i < kRandomTries; ++i) {
    RAND_bytes(reinterpret_cast<unsigned char*>(&r), sizeof r);
    auto port = static_cast<std::uint16_t>(min_port_ + r % span);
    if (even_port && (port & 1) != 0) continue;
    int fd = try_bind(ip, port, device_);
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
    int fd = try_bind(ip, port, device_);
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

turn::Relay RelayPool::adopt(int fd, const Address& bound) {
  turn::RelayId id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
  } else {
    id = static_cast<turn::RelayId>(slots_.size());
    slots_.push_back(nullptr);
  }
  auto slot = std::make_unique<Slot>();
  slot->pool = this;
  slot->id = id;
  slot->fd = fd;
  slot->ev = event_new(base_, fd, EV_READ | EV_PERSIST, &RelayPool::on_event, slot.get());
  event_add(slot->ev, nullptr);
  slots_[id] = std::move(slot);
  ++open_;
  return turn::Relay{id, bound};
}

Result<RelayPool::Token> RelayPool::reserve(const Address& ip_port, TimePoint now) {
  if (ip_port.port() < min_port_ || ip_port.port() > max_port_) {
    return Error{"reserved port outside the relay range"};
  }
  int fd = try_bind(ip_port, ip_port.port(), device_);
  if (fd < 0) return Error{"port taken"};
  return reservations_.put(fd, ip_port, now);
}

Result<turn::Relay> RelayPool::claim(const Token& token, TimePoint now) {
  auto held = reservations_.take(token, now);
  if (!held) return Error{"unknown or lapsed reservation token"};
  return adopt(held->fd, held->address);
}

void RelayPool::close(turn::RelayId id) {
  if (id >= slots_.size() || !slots_[id]) return;
  event_free(slots_[id]->ev);
  ::close(slots_[id]->fd);
  slots_[id].reset();
  free_.push_back(id);
  --open_;
}

void RelayPool::on_event(evutil_socket_t fd, short /*what*/, void* arg) {
  auto* slot = static_cast<Slot*>(arg);
  slot->pool->on_readable_(slot->id, fd);
}

}  // namespace ferry::net
