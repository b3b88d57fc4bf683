#include "ferry/stun/crc32.h"

#include <array>

namespace ferry::stun {

namespace {

// One table entry per byte value, built at compile time (the classic byte-at-a-time CRC:
// STUN messages are small, so slicing-by-N would not pay for its 4-16 KiB of tables).
constexpr std::array<std::uint32_t, 256> make_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}

constexpr std::array<std::uint32_t, 256> kTable = make_table();

}  // namespace

std::uint32_t crc32(Bytes data, std::uint32_t crc) {
  // Pre- and post-inversion as zlib does, so that running values compose.
  crc = ~crc;
  for (std::uint8_t b : data) crc = kTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

}  // namespace ferry::stun
