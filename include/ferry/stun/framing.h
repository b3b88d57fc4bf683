// Stream framing for STUN over TCP/TLS (RFC 8489 §6.2.2) and TURN's ChannelData over streams
// (RFC 8656 §12.5): cuts a byte stream into whole messages, so the core only sees datagrams.
#pragma once

#include <cstddef>

#include "ferry/common/bytes.h"
#include "ferry/stun/message.h"

namespace ferry::stun {

// The largest frame accepted; a STUN length field cannot describe more.
inline constexpr std::size_t kMaxFrameSize = kHeaderSize + 0xFFFF;

struct FrameResult {
  // kNeedMore: the first frame is incomplete (frame_size is its full size once the header is
  // buffered, else 0). kFrame: the first frame_size bytes are one message. kError: the stream
  // cannot be resynchronised (neither STUN nor ChannelData); close the connection.
  enum Status { kNeedMore, kFrame, kError } status = kNeedMore;
  std::size_t frame_size = 0;
};

// Looks at the start of the buffered stream. STUN (first bits 00): 20 + Length bytes, Length a
// multiple of 4. ChannelData (first bits 01): 4 + Length rounded up to 4 (padding is mandatory
// over streams). Works on any prefix, down to one byte at a time.
FrameResult next_frame(Bytes buffered);

}  // namespace ferry::stun
