#include "ferry/auth/origin.h"

#include <cstring>

namespace ferry::auth {

namespace {

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool scheme_char(char c, bool first) {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  if (first) return alpha;
  return alpha || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

// The ports coturn fills in for a scheme without one (its get_default_protocol_port table,
// the web and TURN/STUN entries); another scheme keeps no port.
std::string_view default_port(std::string_view scheme) {
  if (scheme == "http" || scheme == "ws") return "80";
  if (scheme == "https" || scheme == "wss") return "443";
  if (scheme == "turn" || scheme == "stun") return "3478";
  if (scheme == "turns" || scheme == "stuns") return "5349";
  return {};
}

}  // namespace

std::optional<std::string_view> canonical_origin(std::string_view origin, OriginBuffer& out) {
  if (origin.empty() || origin.size() > kMaxOriginLength) return std::nullopt;
  const auto sep = origin.find("://");
  if (sep == std::string_view::npos || sep == 0) return std::nullopt;
  for (std::size_t i = 0; i < sep; ++i) {
    if (!scheme_char(origin[i], i == 0)) return std::nullopt;
  }
  std::string_view authority = origin.substr(sep + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);  // userinfo is no part of an origin (RFC 6454 §4)
  }
  // host[:port], the host possibly a bracketed IPv6 literal.
  std::string_view host = authority;
  std::string_view port;
  const auto close = authority.rfind(']');
  const auto colon = authority.rfind(':');
  if (colon != std::string_view::npos && (close == std::string_view::npos || colon > close)) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5) return std::nullopt;
    for (char c : port) {
      if (c < '0' || c > '9') return std::nullopt;
    }
  }
  if (host.empty()) return std::nullopt;
  for (char c : host) {
    // Control characters and spaces are no part of a host; reject rather than map them.
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) return std::nullopt;
  }
  std::size_t n = 0;
  auto put = [&](std::string_view s) {
    for (char c : s) out[n++] = lower(c);
  };
  put(origin.substr(0, sep));
  const std::string_view scheme(out.data(), sep);
  if (port.empty()) port = default_port(scheme);
  put("://");
  put(host);
  if (!port.empty()) {
    put(":");
    put(port);
  }
  return std::string_view(out.data(), n);
}

}  // namespace ferry::auth
