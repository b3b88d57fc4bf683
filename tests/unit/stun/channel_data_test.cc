// ChannelData (RFC 8656 §12.4, §12.5): channel range, lengths, padding over UDP and streams.
#include <gtest/gtest.h>

#include <array>

#include "ferry/stun/channel_data.h"
#include "test_util.h"

namespace ferry::stun {
namespace {

using testing::Buffer;
using testing::bytes_of;
using testing::hex;

TEST(StunChannelData, ParsesUdpWithOrWithoutPadding) {
  // The views point into these buffers, which must outlive them.
  const Buffer unpadded_msg = hex("40 01 00 05 68 65 6c 6c 6f");
  auto unpadded = ChannelDataView::parse(bytes_of(unpadded_msg), false);
  ASSERT_TRUE(unpadded) << unpadded.error().what;
  EXPECT_EQ(unpadded->channel, 0x4001);
  EXPECT_EQ(as_string(unpadded->data), "hello");
  const Buffer padded_msg = hex("40 01 00 05 68 65 6c 6c 6f 00 00 00");
  auto padded = ChannelDataView::parse(bytes_of(padded_msg), false);
  ASSERT_TRUE(padded);
  EXPECT_EQ(as_string(padded->data), "hello");
  // Over UDP whatever follows Length is ignored (RFC 8656 §12.5).
  const Buffer extra_msg = hex("4f ff 00 01 61 00 00 00 01 02 03 04");
  auto extra = ChannelDataView::parse(bytes_of(extra_msg), false);
  ASSERT_TRUE(extra);
  EXPECT_EQ(extra->channel, 0x4FFF);
  EXPECT_EQ(as_string(extra->data), "a");
  const Buffer empty_msg = hex("40 00 00 00");
  auto empty = ChannelDataView::parse(bytes_of(empty_msg), false);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->data.empty());
}

TEST(StunChannelData, StreamFramesAllowOnlyPadding) {
  EXPECT_TRUE(ChannelDataView::parse(bytes_of(hex("40 01 00 05 68 65 6c 6c 6f 00 00 00")), true));
  EXPECT_TRUE(ChannelDataView::parse(bytes_of(hex("40 01 00 04 68 65 6c 6c")), true));
  EXPECT_FALSE(ChannelDataView::parse(bytes_of(hex("40 01 00 04 68 65 6c 6c 00 00 00 00")), true));
}

TEST(StunChannelData, RejectsChannelsOutsideTheRange) {
  for (std::uint16_t channel : {0x0000, 0x3FFF, 0x5000, 0x7FFF, 0x8000, 0xFFFF}) {
    std::array<std::uint8_t, 8> msg{};
    write_channel_data_header(msg.data(), channel, 4);
    EXPECT_FALSE(ChannelDataView::parse(msg, false)) << channel;
    EXPECT_FALSE(is_valid_channel_number(channel));
  }
  for (std::uint16_t channel : {0x4000, 0x4ABC, 0x4FFF}) {
    std::array<std::uint8_t, 8> msg{};
    write_channel_data_header(msg.data(), channel, 4);
    EXPECT_TRUE(ChannelDataView::parse(msg, false)) << channel;
  }
}

TEST(StunChannelData, RejectsShortDatagrams) {
  const Buffer full = hex("40 01 00 05 68 65 6c 6c 6f");
  for (std::size_t n = 0; n < full.size(); ++n) {
    const Buffer prefix(full.begin(), full.begin() + static_cast<long>(n));
    EXPECT_FALSE(ChannelDataView::parse(bytes_of(prefix), false)) << n;
    EXPECT_FALSE(ChannelDataView::parse(bytes_of(prefix), true)) << n;
  }
  EXPECT_FALSE(ChannelDataView::parse(bytes_of(hex("40 01 ff ff 00 00 00 00")), false));
}

TEST(StunChannelData, HeaderWriterAndDemultiplexing) {
  std::array<std::uint8_t, 4> h{};
  write_channel_data_header(h.data(), 0x4ABC, 0x0102);
  EXPECT_EQ(testing::to_hex(h), "4abc0102");
  EXPECT_TRUE(is_channel_data(h));
  EXPECT_FALSE(is_channel_data(bytes_of(hex("00 01 00 00"))));
  EXPECT_FALSE(is_channel_data(bytes_of(hex("80"))));
  EXPECT_FALSE(is_channel_data({}));
  EXPECT_EQ(padded_size(0), 0u);
  EXPECT_EQ(padded_size(1), 4u);
  EXPECT_EQ(padded_size(4), 4u);
  EXPECT_EQ(padded_size(5), 8u);
  EXPECT_EQ(padded_size(0xFFFF), 0x10000u);
}

}  // namespace
}  // namespace ferry::stun
