// Long-term credential keys (RFC 8489 §9.2.2): MD5(username ":" realm ":" password), and the
// SHA-256 variant of RFC 8489 §18.5.1.2 for PASSWORD-ALGORITHM SHA-256.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ferry::auth {

using Md5Key = std::array<std::uint8_t, 16>;
using Sha256Key = std::array<std::uint8_t, 32>;

Md5Key md5_key(std::string_view user, std::string_view realm, std::string_view password);
Sha256Key sha256_key(std::string_view user, std::string_view realm, std::string_view password);
// USERHASH = SHA-256(username ":" realm) (RFC 8489 §14.4).
Sha256Key userhash(std::string_view user, std::string_view realm);

// coturn's precomputed key form `0x<32 hex digits>` (as in `user=name:0x...`).
std::optional<Md5Key> parse_hex_key(std::string_view text);

}  // namespace ferry::auth
