// The ORIGIN attribute (0x802F, draft-ietf-tram-stun-origin; coturn's multi-realm model): a
// client names the web origin it works for, and a server that maps origins to realms
// (turn_origin_to_realm) answers in that origin's realm. Origins are compared in one canonical
// form, the one coturn stores and looks up: lower case "scheme://host:port", the scheme's
// default port filled in, anything after the authority (path, query, fragment) and any
// userinfo dropped.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace ferry::auth {

// Longer ORIGIN values are never mapped (coturn's STUN_MAX_ORIGIN_SIZE is 255): a stranger's
// oversized attribute costs a length compare, nothing else.
inline constexpr std::size_t kMaxOriginLength = 255;

// Room for a canonical origin: at most the input, plus ":" and a five-digit port.
using OriginBuffer = std::array<char, kMaxOriginLength + 8>;

// The canonical form of `origin`, written into `out` (no heap), or nullopt when it is not
// "scheme://host[:port][...]" or is longer than kMaxOriginLength.
std::optional<std::string_view> canonical_origin(std::string_view origin, OriginBuffer& out);

}  // namespace ferry::auth
