// Long-term credential keys (RFC 8489 §9.2.2): MD5(username ":" realm ":" password), and the
// SHA-256 variant of RFC 8489 §18.5.1.2 for PASSWORD-ALGORITHM SHA-256.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace ferry::auth {

using Md5Key = std::array<std::uint8_t, 16>;
using Sha256Key = std::array<std::uint8_t, 32>;

Md5Key md5_key(std::string_view user, std::string_view realm, std::string_view password);
Sha256Key sha256_key(std::string_view user, std::string_view realm, std::string_view password);
// USERHASH = SHA-256(username ":" realm) (RFC 8489 §14.4).
Sha256Key userhash(std::string_view user, std::string_view realm);

// RFC 8489 §18.5: the password algorithm numbers (PASSWORD-ALGORITHM, PASSWORD-ALGORITHMS).
enum class PasswordAlgorithm : std::uint16_t { kMd5 = 0x0001, kSha256 = 0x0002 };

// PASSWORD-ALGORITHMS as Ferry sends it in every 401 and 438 (RFC 8489 §9.2.4, §14.11): SHA-256
// then MD5, in preference order, neither with parameters (§18.5.1). A request that carries
// PASSWORD-ALGORITHMS must carry exactly these bytes back (§9.2.4: "matches the value sent").
inline constexpr std::array<std::uint8_t, 8> kOfferedPasswordAlgorithms = {0x00, 0x02, 0x00, 0x00,
                                                                           0x00, 0x01, 0x00, 0x00};

// The key one request was authenticated with, and so the key its response is signed with
// (RFC 8489 §9.2.4): 16 bytes from MD5 or 32 from SHA-256 (§18.5.1), and which integrity
// attribute carries the HMAC (MESSAGE-INTEGRITY, HMAC-SHA1; or MESSAGE-INTEGRITY-SHA256).
// The two are independent on the wire: an RFC 8489 client that picked MD5 still signs with
// MESSAGE-INTEGRITY-SHA256.
struct MessageKey {
  std::array<std::uint8_t, 32> bytes{};
  std::uint8_t size = 16;         // 16 (MD5) or 32 (SHA-256)
  bool sha256_integrity = false;  // MESSAGE-INTEGRITY-SHA256 rather than MESSAGE-INTEGRITY

  static MessageKey md5(const Md5Key& k, bool sha256_integrity = false) {
    MessageKey m;
    std::copy(k.begin(), k.end(), m.bytes.begin());
    m.size = static_cast<std::uint8_t>(k.size());
    m.sha256_integrity = sha256_integrity;
    return m;
  }
  static MessageKey sha256(const Sha256Key& k, bool sha256_integrity = true) {
    MessageKey m;
    m.bytes = k;
    m.size = static_cast<std::uint8_t>(k.size());
    m.sha256_integrity = sha256_integrity;
    return m;
  }
  PasswordAlgorithm algorithm() const {
    return size == 32 ? PasswordAlgorithm::kSha256 : PasswordAlgorithm::kMd5;
  }
  std::span<const std::uint8_t> view() const { return {bytes.data(), size}; }
  bool operator==(const MessageKey&) const = default;
};

// coturn's precomputed key form `0x<32 hex digits>` (as in `user=name:0x...`).
std::optional<Md5Key> parse_hex_key(std::string_view text);

}  // namespace ferry::auth
