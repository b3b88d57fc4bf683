// ChannelData messages (RFC 8656 §12.4): the 4-byte-header framing of relayed data on a bound
// channel. This is the relay's hot path, so everything here is a few compares and no copies.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ferry/common/bytes.h"
#include "ferry/common/result.h"

namespace ferry::stun {

// RFC 8656 §12: channel numbers 0x4000..0x4FFF; 0x5000..0xFFFF are reserved.
inline constexpr std::uint16_t kMinChannelNumber = 0x4000;
inline constexpr std::uint16_t kMaxChannelNumber = 0x4FFF;
// RFC 5766 §11 allowed 0x4000..0x7FFF; RFC 8656 reserved 0x5000..0x7FFF (RFC 7983 demultiplexing).
inline constexpr std::uint16_t kMaxRfc5766ChannelNumber = 0x7FFF;
inline constexpr std::size_t kChannelDataHeaderSize = 4;

constexpr bool is_valid_channel_number(std::uint16_t n) {
  return n >= kMinChannelNumber && n <= kMaxChannelNumber;
}

// RFC 8656 §12.5: over TCP/TLS the data is padded to a multiple of 4 bytes.
constexpr std::size_t padded_size(std::size_t len) {
  return (len + 3) & ~std::size_t{3};
}

// A ChannelData message inside a caller-owned buffer (no copy).
struct ChannelDataView {
  std::uint16_t channel = 0;
  Bytes data;  // exactly Length bytes, without padding

  // Rejects channel numbers outside 0x4000..0x4FFF and a Length beyond the buffer (§12.4: a
  // too-short UDP datagram is discarded). stream=false (UDP/DTLS): any trailing bytes are
  // ignored, padding being optional (§12.5). stream=true (one frame cut by next_frame()):
  // at most the 3 bytes of padding may follow the data.
  // `max_channel`: the highest number accepted; RFC 5766's 0x7FFF where a server still
  // accepts RFC 5766's range (the server's default), RFC 8656's 0x4FFF with
  // rfc8656-channel-numbers.
  static Result<ChannelDataView> parse(Bytes datagram, bool stream,
                                       std::uint16_t max_channel = kMaxChannelNumber);
};

// Writes Channel Number and Length (§12.4) into out4[0..4]; the data follows the header.
inline void write_channel_data_header(std::uint8_t* out4, std::uint16_t channel,
                                      std::uint16_t length) {
  store_be16(out4, channel);
  store_be16(out4 + 2, length);
}

// RFC 7983 §7 demultiplexing: ChannelData starts with bits 01 (first byte 64..79 for valid
// channels, but any 01 prefix is routed here and rejected by parse()).
inline bool is_channel_data(Bytes datagram) {
  return !datagram.empty() && (datagram[0] & 0xC0) == 0x40;
}

}  // namespace ferry::stun
