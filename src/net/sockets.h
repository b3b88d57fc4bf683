// Socket creation helpers for listeners (internal to ferry_net).
#pragma once

#include <string>

#include "ferry/common/address.h"
#include "ferry/common/bytes.h"
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

// DF (RFC 8656 §14, DONT-FRAGMENT) on UDP sockets: Linux's IP_MTU_DISCOVER = IP_PMTUDISC_DO
// (IPv4) and IPV6_DONTFRAG (IPv6) make the kernel set DF and refuse, with EMSGSIZE, a datagram
// above the path MTU instead of fragmenting it. kDontFragmentSupported is false where the
// platform has neither (the core then answers 420).
extern const bool kDontFragmentSupported;
// DF on everything `fd` (a socket of family `v6`) sends from now on.
bool set_dont_fragment(int fd, bool v6);
// Whether `fd` sends with DF (getsockopt; false on error).
bool dont_fragment_set(int fd, bool v6);
// Sends one datagram with DF, then puts the socket's setting back as it was: three system
// calls beside the send, for the rare Send indication that asks (RFC 8656 §11.2). False when
// the datagram was not sent (EMSGSIZE: larger than the path MTU).
bool send_dont_fragment(int fd, const Address& to, Bytes data);
void close_fd(int fd);

}  // namespace ferry::net
