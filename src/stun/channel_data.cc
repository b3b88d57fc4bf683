#include "ferry/stun/channel_data.h"

namespace ferry::stun {

Result<ChannelDataView> ChannelDataView::parse(Bytes datagram, bool stream,
                                               std::uint16_t max_channel) {
  if (datagram.size() < kChannelDataHeaderSize) return Error{"ChannelData shorter than its header"};
  const std::uint16_t channel = load_be16(&datagram[0]);
  if (channel < kMinChannelNumber || channel > max_channel) {
    return Error{"ChannelData channel number out of range"};
  }
  const std::size_t length = load_be16(&datagram[2]);
  const std::size_t room = datagram.size() - kChannelDataHeaderSize;
  // RFC 8656 §12.4: a datagram too short for its Length is discarded.
  if (length > room) return Error{"ChannelData length beyond the datagram"};
  // §12.5: over a stream the frame ends at the padding; more would mean a framing error.
  if (stream && room > padded_size(length)) return Error{"ChannelData frame longer than padded"};
  return ChannelDataView{channel, datagram.subspan(kChannelDataHeaderSize, length)};
}

}  // namespace ferry::stun
