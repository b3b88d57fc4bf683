// Socket creation helpers for listeners (internal to ferry_net).
#pragma once

#include <string>

#include "ferry/common/address.h"
#include "ferry/common/expected.h"

namespace ferry::net {

// A non-blocking UDP socket bound to `addr` with SO_REUSEPORT, so each worker binds its own and
// the kernel spreads clients across workers by 5-tuple hash. `device` (may be empty) pins the
// socket to one interface (SO_BINDTODEVICE). The caller owns the descriptor.
Expected<int> open_udp_socket(const Address& addr, const std::string& device);
// A non-blocking listening TCP socket bound to `addr` with SO_REUSEPORT.
Expected<int> open_tcp_listener(const Address& addr, const std::string& device);
// SO_BINDTODEVICE (fails for no such device, or without CAP_NET_RAW).
Expected<void> bind_to_device(int fd, const std::string& device);
// Fails, saying so, when another socket holds this address and port (type: SOCK_DGRAM or
// SOCK_STREAM).
Expected<void> check_port_free(const Address& addr, int type);
// The address a socket is bound to (to learn ephemeral ports).
Address socket_local_address(int fd);
void close_fd(int fd);

}  // namespace ferry::net
