#include "ferry/common/address.h"

#include <arpa/inet.h>

#include <cstring>

namespace ferry {

Address Address::v4(std::array<std::uint8_t, 4> ip, std::uint16_t port) {
  Address a;
  std::memcpy(a.ip_.data(), ip.data(), 4);
  a.port_ = port;
  a.family_ = Family::kV4;
  return a;
}

Address Address::v6(const std::array<std::uint8_t, 16>& ip, std::uint16_t port) {
  Address a;
  a.ip_ = ip;
  a.port_ = port;
  a.family_ = Family::kV6;
  return a;
}

Address Address::from_bytes(Bytes ip, std::uint16_t port) {
  Address a;
  if (ip.size() == 4) {
    a.family_ = Family::kV4;
  } else if (ip.size() == 16) {
    a.family_ = Family::kV6;
  } else {
    return a;
  }
  std::memcpy(a.ip_.data(), ip.data(), ip.size());
  a.port_ = port;
  return a;
}

std::optional<Address> Address::parse_ip(std::string_view text, std::uint16_t port) {
  // inet_pton needs a NUL-terminated string; addresses are short, so a stack copy suffices.
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof buf) return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  Address a;
  a.port_ = port;
  if (inet_pton(AF_INET, buf, a.ip_.data()) == 1) {
    a.family_ = Family::kV4;
    return a;
  }
  if (inet_pton(AF_INET6, buf, a.ip_.data()) == 1) {
    a.family_ = Family::kV6;
    return a;
  }
  return std::nullopt;
}

static std::optional<std::uint16_t> parse_port(std::string_view s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  std::uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (v > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

std::optional<Address> Address::parse_endpoint(std::string_view text) {
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    auto host = text.substr(1, close - 1);
    auto rest = text.substr(close + 1);
    std::uint16_t port = 0;
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      auto p = parse_port(rest.substr(1));
      if (!p) return std::nullopt;
      port = *p;
    }
    auto a = parse_ip(host, port);
    if (!a || !a->is_v6()) return std::nullopt;
    return a;
  }
  auto colon = text.find(':');
  if (colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
    auto p = parse_port(text.substr(colon + 1));
    if (!p) return std::nullopt;
    auto a = parse_ip(text.substr(0, colon), *p);
    if (!a || !a->is_v4()) return std::nullopt;
    return a;
  }
  return parse_ip(text, 0);
}

Address Address::from_sockaddr(const sockaddr* sa, socklen_t len) {
  Address a;
  if (sa == nullptr) return a;
  if (sa->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    const auto* s4 = reinterpret_cast<const sockaddr_in*>(sa);
    std::memcpy(a.ip_.data(), &s4->sin_addr, 4);
    a.port_ = ntohs(s4->sin_port);
    a.family_ = Family::kV4;
  } else if (sa->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    const auto* s6 = reinterpret_cast<const sockaddr_in6*>(sa);
    std::memcpy(a.ip_.data(), &s6->sin6_addr, 16);
    a.port_ = ntohs(s6->sin6_port);
    a.family_ = Family::kV6;
  }
  return a;
}

socklen_t Address::to_sockaddr(sockaddr_storage* out) const {
  std::memset(out, 0, sizeof *out);
  if (family_ == Family::kV4) {
    auto* s4 = reinterpret_cast<sockaddr_in*>(out);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port_);
    std::memcpy(&s4->sin_addr, ip_.data(), 4);
    return sizeof(sockaddr_in);
  }
  if (family_ == Family::kV6) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(out);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port_);
    std::memcpy(&s6->sin6_addr, ip_.data(), 16);
    return sizeof(sockaddr_in6);
  }
  return 0;
}

bool Address::is_any() const {
  if (empty()) return false;
  for (std::size_t i = 0; i < ip_len(); ++i) {
    if (ip_[i] != 0) return false;
  }
  return true;
}

bool Address::is_loopback() const {
  if (is_v4()) return ip_[0] == 127;
  if (is_v6()) {
    for (int i = 0; i < 15; ++i) {
      if (ip_[i] != 0) return false;
    }
    return ip_[15] == 1;
  }
  return false;
}

std::string Address::ip_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (is_v4()) {
    inet_ntop(AF_INET, ip_.data(), buf, sizeof buf);
  } else if (is_v6()) {
    inet_ntop(AF_INET6, ip_.data(), buf, sizeof buf);
  } else {
    return "(none)";
  }
  return buf;
}

std::string Address::to_string() const {
  // Appends rather than operator+ chains: GCC 12 at -O3 raises a false -Wrestrict on those.
  std::string out;
  out.reserve(INET6_ADDRSTRLEN + 8);
  if (is_v6()) out.push_back('[');
  out.append(ip_string());
  if (is_v6()) out.push_back(']');
  out.push_back(':');
  out.append(std::to_string(port_));
  return out;
}

std::string_view transport_name(Transport t) {
  switch (t) {
    case Transport::kUdp:
      return "udp";
    case Transport::kTcp:
      return "tcp";
    case Transport::kTls:
      return "tls";
    case Transport::kDtls:
      return "dtls";
  }
  return "?";
}

}  // namespace ferry
