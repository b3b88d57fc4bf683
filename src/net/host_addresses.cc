#include "host_addresses.h"

#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>

namespace ferry::net {

std::optional<std::vector<Address>> host_interface_addresses() {
  std::vector<Address> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return std::nullopt;
  for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr) continue;
    int fam = i->ifa_addr->sa_family;
    if (fam != AF_INET && fam != AF_INET6) continue;
    socklen_t len = fam == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
    Address a = Address::from_sockaddr(i->ifa_addr, len);
    a.set_port(0);
    bool seen = false;
    for (const auto& o : out) seen = seen || o.same_ip(a);
    if (!seen) out.push_back(a);
  }
  freeifaddrs(list);
  return out;
}

HostAddressWatch::HostAddressWatch(OnChange on_change, Reader read)
    : on_change_(std::move(on_change)), read_(std::move(read)) {}

Expected<std::unique_ptr<HostAddressWatch>> HostAddressWatch::create(event_base* base,
                                                                     OnChange on_change,
                                                                     Reader read) {
  std::unique_ptr<HostAddressWatch> w(new HostAddressWatch(std::move(on_change), std::move(read)));
  // Notifications are an optimisation over the 30 s refresh: without them (no rtnetlink, a
  // failed bind or event) changes are seen later, never missed.
  w->nl_fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (w->nl_fd_ >= 0) {
    sockaddr_nl sa{};
    sa.nl_family = AF_NETLINK;
    sa.nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
    auto ev =
        bind(w->nl_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0
            ? event::add_event(base, w->nl_fd_, EV_READ | EV_PERSIST, &HostAddressWatch::on_netlink,
                               w.get(), nullptr, "rtnetlink address changes")
            : Expected<event::EventPtr>(fail("bind"));
    if (ev) {
      w->nl_ev_ = std::move(*ev);
    } else {
      close(w->nl_fd_);
      w->nl_fd_ = -1;
    }
  }
  const timeval every{30, 0};
  auto timer = event::add_event(base, -1, EV_PERSIST, &HostAddressWatch::on_timer, w.get(), &every,
                                "the host addresses' refresh timer");
  if (!timer) return std::move(timer).failure();
  w->timer_ = std::move(*timer);
  w->refresh();
  return w;
}

HostAddressWatch::~HostAddressWatch() {
  nl_ev_.reset();
  timer_.reset();
  if (nl_fd_ >= 0) close(nl_fd_);
}

void HostAddressWatch::on_netlink(evutil_socket_t fd, short /*what*/, void* arg) {
  // The messages themselves are not parsed: any address change (or an overflow, ENOBUFS)
  // means "read the whole list again", which is simpler and cannot drift.
  std::array<char, 8192> buf;
  while (recv(fd, buf.data(), buf.size(), MSG_DONTWAIT) > 0) {
  }
  static_cast<HostAddressWatch*>(arg)->refresh();
}

void HostAddressWatch::on_timer(evutil_socket_t /*fd*/, short /*what*/, void* arg) {
  static_cast<HostAddressWatch*>(arg)->refresh();
}

void HostAddressWatch::refresh() {
  if (auto list = read_()) on_change_(std::move(*list));
}

}  // namespace ferry::net
