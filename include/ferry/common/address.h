// IPv4/IPv6 transport addresses and 5-tuples. Plain values (24 bytes), no heap, hashable:
// they are keys of the core's flat tables.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "ferry/common/bytes.h"

namespace ferry {

// Values are the STUN address family codes (RFC 8489 §14.1).
enum class Family : std::uint8_t { kNone = 0, kV4 = 1, kV6 = 2 };

class Address {
 public:
  Address() = default;
  static Address v4(std::array<std::uint8_t, 4> ip, std::uint16_t port);
  static Address v6(const std::array<std::uint8_t, 16>& ip, std::uint16_t port);
  // From raw bytes: 4 bytes -> IPv4, 16 bytes -> IPv6, anything else -> empty address.
  static Address from_bytes(Bytes ip, std::uint16_t port);
  // "192.0.2.1", "2001:db8::1" (no port).
  static std::optional<Address> parse_ip(std::string_view text, std::uint16_t port = 0);
  // "192.0.2.1:3478", "[2001:db8::1]:3478", or a bare IP (port 0).
  static std::optional<Address> parse_endpoint(std::string_view text);
  static Address from_sockaddr(const sockaddr* sa, socklen_t len);

  socklen_t to_sockaddr(sockaddr_storage* out) const;

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::kV4; }
  bool is_v6() const { return family_ == Family::kV6; }
  bool empty() const { return family_ == Family::kNone; }
  std::uint16_t port() const { return port_; }
  void set_port(std::uint16_t p) { port_ = p; }
  // The address bytes: 4 for IPv4, 16 for IPv6, 0 when empty.
  Bytes ip() const { return Bytes(ip_.data(), ip_len()); }
  std::size_t ip_len() const {
    return family_ == Family::kV4 ? 4 : family_ == Family::kV6 ? 16 : 0;
  }
  const std::array<std::uint8_t, 16>& raw() const { return ip_; }

  bool same_ip(const Address& o) const { return family_ == o.family_ && ip_words_equal(o); }
  bool is_any() const;       // 0.0.0.0 or ::
  bool is_loopback() const;  // 127/8 or ::1

  std::string ip_string() const;
  std::string to_string() const;  // "1.2.3.4:5" or "[::1]:5"

  friend bool operator==(const Address& a, const Address& b) {
    return a.family_ == b.family_ && a.port_ == b.port_ && a.ip_words_equal(b);
  }

  // Inline and word-wise: addresses are hashed and compared for every relayed packet.
  std::size_t hash() const {
    std::uint64_t lo = 0;
    std::uint64_t hi = 0;
    std::memcpy(&lo, ip_.data(), 8);
    std::memcpy(&hi, ip_.data() + 8, 8);
    std::uint64_t h = lo * 0x9E3779B97F4A7C15ULL;
    h ^= (hi + (static_cast<std::uint64_t>(port_) << 8 | static_cast<std::uint64_t>(family_))) *
         0xC2B2AE3D27D4EB4FULL;
    return static_cast<std::size_t>(h ^ (h >> 29));
  }

 private:
  // Two 8-byte compares instead of a libc memcmp call (the unused IPv4 tail is always zero).
  bool ip_words_equal(const Address& o) const {
    std::uint64_t a[2];
    std::uint64_t b[2];
    std::memcpy(a, ip_.data(), 16);
    std::memcpy(b, o.ip_.data(), 16);
    return ((a[0] ^ b[0]) | (a[1] ^ b[1])) == 0;
  }

  std::array<std::uint8_t, 16> ip_{};  // IPv4 uses the first 4 bytes, the rest stay zero
  std::uint16_t port_ = 0;
  Family family_ = Family::kNone;
};

// What identifies one client for per-client bounds (connections, allocations): an IPv4
// address, or an IPv6 /64 with the port dropped. One host may use every address of its /64
// (RFC 7421: a /64 is the smallest subnet a site gets), so counting IPv6 addresses one by one
// would make a per-client bound no bound at all.
inline Address client_key(const Address& a) {
  if (!a.is_v6()) return Address::from_bytes(a.ip(), 0);
  std::array<std::uint8_t, 16> prefix{};
  for (std::size_t i = 0; i < 8; ++i) prefix[i] = a.raw()[i];
  return Address::v6(prefix, 0);
}

enum class Transport : std::uint8_t { kUdp, kTcp, kTls, kDtls };
std::string_view transport_name(Transport t);
// A byte stream (TCP, TLS), where messages are framed and ChannelData is padded (RFC 8656
// §12.5); UDP and DTLS carry one message per datagram (per DTLS record).
constexpr bool is_stream(Transport t) {
  return t == Transport::kTcp || t == Transport::kTls;
}

// A client's 5-tuple as the server sees it (RFC 8656 §2: the allocation key).
struct FiveTuple {
  Address client;
  Address server;
  Transport transport = Transport::kUdp;
  // Which of its UDP listening sockets the network layer received this on (an index of its
  // own; 0 for other transports). The core carries it back with the tuple, so an answer or
  // relayed data goes out on that socket without a search. It follows from `server` (one
  // socket per listening address), so comparing it changes no equality; it fits in padding.
  std::uint8_t listener = 0;
  friend bool operator==(const FiveTuple&, const FiveTuple&) = default;
  std::size_t hash() const {
    std::size_t h = client.hash();
    h ^= server.hash() + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h ^ (static_cast<std::size_t>(transport) * 0x9e3779b97f4a7c15ULL);
  }
};

}  // namespace ferry

template <>
struct std::hash<ferry::Address> {
  std::size_t operator()(const ferry::Address& a) const noexcept { return a.hash(); }
};
template <>
struct std::hash<ferry::FiveTuple> {
  std::size_t operator()(const ferry::FiveTuple& t) const noexcept { return t.hash(); }
};
