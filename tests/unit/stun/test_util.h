// Helpers shared by the codec tests.
#pragma once

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/common/bytes.h"

namespace ferry::stun::testing {

using Buffer = std::vector<std::uint8_t>;

// "00 01 0a ..." (whitespace and newlines ignored) -> bytes.
inline Buffer hex(std::string_view text) {
  Buffer out;
  int high = -1;
  for (char c : text) {
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    if (v < 0) continue;
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(high * 16 + v));
      high = -1;
    }
  }
  return out;
}

inline std::string to_hex(Bytes b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  for (std::uint8_t x : b) {
    s += kDigits[x >> 4];
    s += kDigits[x & 15];
  }
  return s;
}

// RFC 8489 §9.2.2 long-term key MD5(username ":" realm ":" password), computed here only to
// check the RFC 5769 vector; deriving keys is the auth module's job.
inline std::array<std::uint8_t, 16> md5(std::string_view s) {
  std::array<std::uint8_t, 16> out{};
  unsigned n = 0;
  EVP_Digest(s.data(), s.size(), out.data(), &n, EVP_md5(), nullptr);
  return out;
}

inline Bytes bytes_of(const Buffer& b) {
  return Bytes(b.data(), b.size());
}

}  // namespace ferry::stun::testing
