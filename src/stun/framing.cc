#include "ferry/stun/framing.h"

#include "ferry/stun/channel_data.h"

namespace ferry::stun {

FrameResult next_frame(Bytes buffered) {
  // Both headers carry their length in bytes 2..3; nothing is known before 4 bytes arrive.
  if (buffered.size() < 4) {
    // An impossible first byte is an error at once rather than after more bytes.
    if (!buffered.empty() && (buffered[0] & 0x80) != 0) return {FrameResult::kError, 0};
    return {FrameResult::kNeedMore, 0};
  }
  const std::size_t length = load_be16(&buffered[2]);
  std::size_t size = 0;
  switch (buffered[0] & 0xC0) {
    case 0x00:
      // RFC 8489 §6.2.2: STUN over streams is self-delimiting by its length field, which is
      // always a multiple of 4 (§5); anything else means we lost the framing.
      if (length % 4 != 0) return {FrameResult::kError, 0};
      size = kHeaderSize + length;
      break;
    case 0x40:
      // RFC 8656 §12.5: over TCP/TLS ChannelData is padded to a multiple of 4.
      size = kChannelDataHeaderSize + padded_size(length);
      break;
    default:
      // RFC 7983: 10 and 11 are neither (DTLS, RTP...); a stream cannot recover from that.
      return {FrameResult::kError, 0};
  }
  if (size > kMaxFrameSize) return {FrameResult::kError, 0};
  if (buffered.size() < size) return {FrameResult::kNeedMore, size};
  return {FrameResult::kFrame, size};
}

}  // namespace ferry::stun
