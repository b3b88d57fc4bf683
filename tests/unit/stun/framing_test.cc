// Stream framing (RFC 8489 §6.2.2, RFC 8656 §12.5): whole frames out of any split of the stream.
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "ferry/stun/attributes.h"
#include "ferry/stun/channel_data.h"
#include "ferry/stun/framing.h"
#include "ferry/stun/message.h"
#include "test_util.h"

namespace ferry::stun {
namespace {

using testing::Buffer;
using testing::bytes_of;
using testing::hex;

Buffer stun_message(std::string_view software) {
  std::array<std::uint8_t, 256> buf{};
  MessageBuilder b(buf, Method::kRefresh, Class::kRequest, TransactionId{9, 8, 7});
  b.add(attr::Lifetime{600}).add(attr::Software{software}).add_fingerprint();
  Bytes out = b.finish();
  return Buffer(out.begin(), out.end());
}

// Feeds `stream` in pieces of `step` bytes into a reassembly buffer, as a TCP reader would,
// and returns the frames cut.
std::vector<Buffer> reassemble(const Buffer& stream, std::size_t step) {
  std::vector<Buffer> frames;
  Buffer pending;
  for (std::size_t at = 0; at < stream.size(); at += step) {
    const std::size_t n = std::min(step, stream.size() - at);
    pending.insert(pending.end(), stream.begin() + static_cast<long>(at),
                   stream.begin() + static_cast<long>(at + n));
    for (;;) {
      auto f = next_frame(bytes_of(pending));
      EXPECT_NE(f.status, FrameResult::kError);
      if (f.status != FrameResult::kFrame) break;
      frames.emplace_back(pending.begin(), pending.begin() + static_cast<long>(f.frame_size));
      pending.erase(pending.begin(), pending.begin() + static_cast<long>(f.frame_size));
    }
  }
  EXPECT_TRUE(pending.empty());
  return frames;
}

TEST(StunFraming, ReassemblesAnySplitDownToSingleBytes) {
  const Buffer a = stun_message("abc");
  const Buffer cd = hex("40 01 00 05 68 65 6c 6c 6f 00 00 00");  // padded over streams
  const Buffer cd_empty = hex("40 02 00 00");
  const Buffer b = stun_message("longer software name");
  Buffer stream;
  for (const Buffer* p : {&a, &cd, &cd_empty, &b, &cd})
    stream.insert(stream.end(), p->begin(), p->end());
  for (std::size_t step : {1u, 2u, 3u, 5u, 7u, 64u, 1000u}) {
    auto frames = reassemble(stream, step);
    ASSERT_EQ(frames.size(), 5u) << step;
    EXPECT_EQ(frames[0], a);
    EXPECT_EQ(frames[1], cd);
    EXPECT_EQ(frames[2], cd_empty);
    EXPECT_EQ(frames[3], b);
    EXPECT_TRUE(MessageView::parse(bytes_of(frames[3])));
    auto data = ChannelDataView::parse(bytes_of(frames[4]), true);
    ASSERT_TRUE(data);
    EXPECT_EQ(as_string(data->data), "hello");
  }
}

TEST(StunFraming, ReportsTheFrameSizeOnceTheHeaderIsIn) {
  const Buffer a = stun_message("x");
  for (std::size_t n = 0; n < a.size(); ++n) {
    auto f = next_frame(Bytes(a.data(), n));
    EXPECT_EQ(f.status, FrameResult::kNeedMore) << n;
    EXPECT_EQ(f.frame_size, n < 4 ? 0 : a.size()) << n;
  }
  auto f = next_frame(bytes_of(a));
  EXPECT_EQ(f.status, FrameResult::kFrame);
  EXPECT_EQ(f.frame_size, a.size());
}

TEST(StunFraming, ChannelDataPaddingIsPartOfTheFrame) {
  for (std::uint16_t len = 0; len < 9; ++len) {
    Buffer frame(4 + padded_size(len), 0);
    write_channel_data_header(frame.data(), 0x4000, len);
    auto f = next_frame(bytes_of(frame));
    EXPECT_EQ(f.status, FrameResult::kFrame);
    EXPECT_EQ(f.frame_size, 4 + padded_size(len));
  }
  // 0xFFFF bytes pad to 0x10000.
  auto f = next_frame(bytes_of(hex("4f ff ff ff")));
  EXPECT_EQ(f.status, FrameResult::kNeedMore);
  EXPECT_EQ(f.frame_size, 4u + 0x10000u);
}

TEST(StunFraming, LargestStunLength) {
  Buffer big(kHeaderSize + 0xFFFC, 0);
  store_be16(&big[0], 0x0001);
  store_be16(&big[2], 0xFFFC);
  auto partial = next_frame(Bytes(big.data(), big.size() - 1));
  EXPECT_EQ(partial.status, FrameResult::kNeedMore);
  EXPECT_EQ(partial.frame_size, big.size());
  auto whole = next_frame(bytes_of(big));
  EXPECT_EQ(whole.status, FrameResult::kFrame);
  EXPECT_EQ(whole.frame_size, 65552u);
  // Framed, but larger than any message the codec accepts: dropped, stream still in sync.
  EXPECT_FALSE(MessageView::parse(Bytes(big.data(), whole.frame_size)));
}

TEST(StunFraming, UnrecoverableStreamsAreErrors) {
  EXPECT_EQ(next_frame(bytes_of(hex("80"))).status, FrameResult::kError);
  EXPECT_EQ(next_frame(bytes_of(hex("c0 00"))).status, FrameResult::kError);
  EXPECT_EQ(next_frame(bytes_of(hex("00 01 00 03"))).status, FrameResult::kError);
  EXPECT_EQ(next_frame(bytes_of(hex("00 01 00"))).status, FrameResult::kNeedMore);
  EXPECT_EQ(next_frame({}).status, FrameResult::kNeedMore);
}

}  // namespace
}  // namespace ferry::stun
