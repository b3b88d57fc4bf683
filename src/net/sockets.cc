#include "sockets.h"

#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ferry/net/runtime.h"

namespace ferry::net {

namespace {

Failure sys_failure(const std::string& what) {
  return fail(what + ": " + std::strerror(errno));
}

Expected<void> set_common_options(int fd, const Address& addr) {
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    return sys_failure("setsockopt(SO_REUSEPORT)");
  }
  // One socket per family: an IPv6 socket must not also take IPv4 traffic, or two workers'
  // wildcard sockets would collide and replies would carry v4-mapped addresses.
  if (addr.is_v6() && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) {
    return sys_failure("setsockopt(IPV6_V6ONLY)");
  }
  return {};
}

Expected<int> open_bound(const Address& addr, int type, const std::string& device) {
  int domain = addr.is_v6() ? AF_INET6 : AF_INET;
  int fd = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return sys_failure("socket()");
  auto options = set_common_options(fd, addr);
  if (options) options = bind_to_device(fd, device);
  if (!options) {
    close(fd);
    return std::move(options).failure();
  }
  sockaddr_storage ss;
  socklen_t len = addr.to_sockaddr(&ss);
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    auto f = sys_failure("bind(" + addr.to_string() + ")");
    close(fd);
    return f;
  }
  return fd;
}

}  // namespace

Expected<void> bind_to_device(int fd, const std::string& device) {
  if (device.empty()) return {};
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device.c_str(),
                 static_cast<socklen_t>(device.size())) != 0) {
    return sys_failure("cannot bind to device '" + device + "'");
  }
  return {};
}

Expected<int> open_udp_socket(const Address& addr, const std::string& device) {
  auto fd = open_bound(addr, SOCK_DGRAM, device);
  if (!fd) return fd;
  // A larger buffer absorbs bursts between event-loop wakeups. The kernel caps it at
  // net.core.rmem_max/wmem_max without failing, so a failure here is a bad descriptor.
  int size = 4 * 1024 * 1024;
  if (setsockopt(*fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) != 0 ||
      setsockopt(*fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size) != 0) {
    auto f = sys_failure("setsockopt(SO_RCVBUF/SO_SNDBUF) on " + addr.to_string());
    close(*fd);
    return f;
  }
  return fd;
}

Expected<int> open_tcp_listener(const Address& addr, const std::string& device) {
  auto fd = open_bound(addr, SOCK_STREAM, device);
  if (!fd) return fd;
  if (listen(*fd, 1024) != 0) {
    auto f = sys_failure("listen(" + addr.to_string() + ")");
    close(*fd);
    return f;
  }
  return fd;
}

Expected<void> check_port_free(const Address& addr, int type) {
  // SO_REUSEPORT lets a second process of the same user share our port silently; a plain bind
  // fails on a port held by anyone, so it tells "already in use" before the workers bind.
  int fd = socket(addr.is_v6() ? AF_INET6 : AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return sys_failure("socket()");
  int one = 1;
  if ((addr.is_v6() && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) ||
      (type == SOCK_STREAM && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)) {
    auto f = sys_failure("setsockopt");
    close(fd);
    return f;
  }
  sockaddr_storage ss;
  socklen_t len = addr.to_sockaddr(&ss);
  // Any other bind error (EADDRNOTAVAIL, EACCES) is reported by the workers' own bind.
  bool taken = bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 && errno == EADDRINUSE;
  close(fd);
  if (taken) {
    return fail(std::string(type == SOCK_STREAM ? "TCP " : "UDP ") + addr.to_string() +
                " is already in use (another turnserver?)");
  }
  return {};
}

Address socket_local_address(int fd) {
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
  return Address::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

void close_fd(int fd) {
  if (fd >= 0) close(fd);
}

#if defined(IP_MTU_DISCOVER) && defined(IP_PMTUDISC_DO) && defined(IPV6_DONTFRAG)
const bool kDontFragmentSupported = true;

namespace {

// The option that says "DF" for the socket's family, and its value when on.
struct DfOption {
  int level;
  int name;
  int on;
};
DfOption df_option(bool v6) {
  return v6 ? DfOption{IPPROTO_IPV6, IPV6_DONTFRAG, 1}
            : DfOption{IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO};
}

bool get_int(int fd, const DfOption& o, int* value) {
  socklen_t len = sizeof *value;
  return getsockopt(fd, o.level, o.name, value, &len) == 0;
}

bool set_int(int fd, const DfOption& o, int value) {
  return setsockopt(fd, o.level, o.name, &value, sizeof value) == 0;
}

}  // namespace

bool set_dont_fragment(int fd, bool v6) {
  return set_int(fd, df_option(v6), df_option(v6).on);
}

bool dont_fragment_set(int fd, bool v6) {
  int value = -1;
  return get_int(fd, df_option(v6), &value) && value == df_option(v6).on;
}

bool send_dont_fragment(int fd, const Address& to, Bytes data) {
  const DfOption o = df_option(to.is_v6());
  int before = 0;
  if (!get_int(fd, o, &before)) return false;
  if (before != o.on && !set_int(fd, o, o.on)) return false;
  sockaddr_storage ss;
  socklen_t len = to.to_sockaddr(&ss);
  const ssize_t sent = sendto(fd, data.data(), data.size(), MSG_DONTWAIT,
                              reinterpret_cast<const sockaddr*>(&ss), len);
  // Cannot fail for a value getsockopt just gave; if it did, the socket keeps DF: the safe side.
  if (before != o.on) (void)set_int(fd, o, before);
  return sent >= 0;
}
#else
const bool kDontFragmentSupported = false;
bool set_dont_fragment(int, bool) {
  return false;
}
bool dont_fragment_set(int, bool) {
  return false;
}
bool send_dont_fragment(int, const Address&, Bytes) {
  return false;
}
#endif

std::vector<Address> local_addresses() {
  std::vector<Address> out;
  ifaddrs* list = nullptr;
  // A failure leaves the list empty: the start then fails with "no address to listen on".
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || (i->ifa_flags & IFF_UP) == 0) continue;
    int fam = i->ifa_addr->sa_family;
    if (fam != AF_INET && fam != AF_INET6) continue;
    socklen_t len = fam == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
    Address a = Address::from_sockaddr(i->ifa_addr, len);
    // Link-local IPv6 needs a scope id to bind and is useless to STUN clients elsewhere.
    if (a.is_v6() && a.raw()[0] == 0xfe && (a.raw()[1] & 0xc0) == 0x80) continue;
    bool seen = false;
    for (const auto& o : out) seen = seen || o.same_ip(a);
    if (!seen) out.push_back(a);
  }
  freeifaddrs(list);
  return out;
}

}  // namespace ferry::net
