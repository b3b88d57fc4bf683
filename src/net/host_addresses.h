// The host's own addresses, for the peer policy (issue 16 item 4): every address of every
// interface, kept current. Traffic a relay sends to any of them is delivered locally (through
// lo, past firewalls that trust it), so the core refuses them as peers on every port.
//
// Each worker watches for itself (share-nothing): an rtnetlink socket subscribed to address
// changes wakes the worker's loop, which re-reads the list. A slow refresh (every 30 s) covers
// a missed or overflowed notification.
#pragma once

#include <event2/event.h>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "ferry/common/address.h"
#include "ferry/common/expected.h"
#include "ferry/event/event_loop.h"

namespace ferry::net {

// Every IPv4 and IPv6 address configured on any interface, up or down, link-local included;
// nullopt when the list cannot be read (getifaddrs needs a descriptor: under descriptor
// exhaustion it fails, and an empty list would open the host's addresses to the relay).
std::optional<std::vector<Address>> host_interface_addresses();

class HostAddressWatch {
 public:
  using OnChange = std::function<void(std::vector<Address>)>;
  using Reader = std::function<std::optional<std::vector<Address>>()>;
  // Calls `on_change` once now and again after every change; a list that cannot be read is
  // never passed on (the last good one stays in force). `read` is host_interface_addresses
  // but in tests. Fails when the periodic refresh cannot be scheduled; without rtnetlink it
  // works on the refresh alone (watching() says so).
  static Expected<std::unique_ptr<HostAddressWatch>> create(event_base* base, OnChange on_change,
                                                            Reader read = host_interface_addresses);
  // Reads the list again now (what a netlink notification or the slow timer does).
  void refresh();
  ~HostAddressWatch();
  HostAddressWatch(const HostAddressWatch&) = delete;
  HostAddressWatch& operator=(const HostAddressWatch&) = delete;
  // False when the netlink socket could not be opened (the periodic refresh still runs).
  bool watching() const { return nl_fd_ >= 0; }

 private:
  HostAddressWatch(OnChange on_change, Reader read);
  static void on_netlink(evutil_socket_t fd, short what, void* arg);
  static void on_timer(evutil_socket_t fd, short what, void* arg);

  OnChange on_change_;
  Reader read_;
  int nl_fd_ = -1;
  event::EventPtr nl_ev_;
  event::EventPtr timer_;
};

}  // namespace ferry::net
