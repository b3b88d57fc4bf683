// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum STUN's FINGERPRINT uses
// (RFC 8489 §14.7 cites ISO/IEC 13239). Same results as zlib's crc32(), without the dependency.
#pragma once

#include <cstdint>

#include "ferry/common/bytes.h"

namespace ferry::stun {

// Continues a running CRC: crc32(b, crc32(a)) == crc32(a + b); start with 0.
std::uint32_t crc32(Bytes data, std::uint32_t crc = 0);

}  // namespace ferry::stun
