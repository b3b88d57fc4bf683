// Socket creation helpers for listeners (internal to ferry_net).
#pragma once

#include <string>

#include "ferry/common/address.h"

namespace ferry::net {

// A non-blocking UDP socket bound to `addr` with SO_REUSEPORT, so each worker binds its own and
// the kernel spreads clients across workers by 5-tuple hash. Returns -1 and sets `error`.
// `device` (may be empty) pins the socket to one interface (SO_BINDTODEVICE).
int open_udp_socket(const Address& addr, const std::string& device, std::string* error);
// A non-blocking listening TCP socket bound to `addr` with SO_REUSEPORT.
int open_tcp_listener(const Address& addr, const std::string& device, std::string* error);
// SO_BINDTODEVICE; false with `error` (e.g. no such device, or no CAP_NET_RAW).
bool bind_to_device(int fd, const std::string& device, std::string* error);
// True (with `error`) if another socket holds this address and port (type: SOCK_DGRAM or
// SOCK_STREAM).
bool port_taken(const Address& addr, int type, std::string* error);
// The address a socket is bound to (to learn ephemeral ports).
Address socket_local_address(int fd);
void close_fd(int fd);

}  // namespace ferry::net
