// HMAC-SHA1 / HMAC-SHA256 over a || b (two pieces, so callers need not copy them together):
// STUN's MESSAGE-INTEGRITY(-SHA256) (RFC 8489 §14.5-14.6) and Ferry's stateless nonces.
#pragma once

#include <cstdint>

#include "ferry/common/bytes.h"

namespace ferry {

enum class HmacDigest { kSha1, kSha256 };

inline constexpr std::size_t hmac_size(HmacDigest d) {
  return d == HmacDigest::kSha1 ? 20 : 32;
}

// Writes hmac_size(d) bytes to `out`; false only if OpenSSL fails.
bool hmac(HmacDigest d, Bytes key, Bytes a, Bytes b, std::uint8_t* out);

}  // namespace ferry
