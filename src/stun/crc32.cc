#include "ferry/stun/crc32.h"

#include <array>
#include <bit>
#include <cstring>

namespace ferry::stun {

namespace {

// Slicing-by-8 (eight 256-entry tables, 8 KiB, built at compile time): eight bytes per step
// instead of one. FINGERPRINT covers whole messages, and a Data indication carries the media
// payload (up to ~1,200 bytes), so with `fingerprint` on this runs once per relayed packet.
using Tables = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr Tables make_tables() {
  Tables t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[0][i] = c;
  }
  for (std::size_t k = 1; k < 8; ++k) {
    for (std::size_t i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xFF];
  }
  return t;
}

constexpr Tables kTables = make_tables();

}  // namespace

std::uint32_t crc32(Bytes data, std::uint32_t crc) {
  // Pre- and post-inversion as zlib does, so that running values compose.
  crc = ~crc;
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
  const auto& t = kTables;
  while (n >= 8) {
    // Little-endian words (x86, arm64): the reflected CRC consumes the low byte first.
    std::uint32_t lo;
    std::uint32_t hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
    if constexpr (std::endian::native == std::endian::big) {
      lo = __builtin_bswap32(lo);
      hi = __builtin_bswap32(hi);
    }
    lo ^= crc;
    crc = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^
          t[3][hi & 0xFF] ^ t[2][(hi >> 8) & 0xFF] ^ t[1][(hi >> 16) & 0xFF] ^ t[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) crc = t[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

}  // namespace ferry::stun
