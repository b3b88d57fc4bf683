#include "ferry/common/bytes.h"

#include <gtest/gtest.h>

#include <array>

namespace ferry {
namespace {

TEST(Reader, ReadsBigEndianAndStopsAtTheEnd) {
  const std::array<std::uint8_t, 7> d{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
  Reader r(d);
  EXPECT_EQ(r.u8(), 0x01);
  EXPECT_EQ(r.u16(), 0x0203);
  EXPECT_EQ(r.u32(), 0x04050607u);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_EQ(r.u8(), 0);  // past the end: zero and a sticky error, never an out-of-bounds read
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.bytes(1).empty());
}

TEST(Reader, OversizedRequestFailsWithoutOverflow) {
  const std::array<std::uint8_t, 4> d{};
  Reader r(d);
  r.skip(2);
  EXPECT_TRUE(r.bytes(SIZE_MAX).empty());
  EXPECT_FALSE(r.ok());
}

TEST(Writer, WritesAndRefusesToOverflow) {
  std::array<std::uint8_t, 6> buf{};
  Writer w(buf);
  w.u16(0xABCD);
  w.u32(0x01020304);
  EXPECT_TRUE(w.ok());
  EXPECT_EQ(buf[0], 0xAB);
  EXPECT_EQ(buf[5], 0x04);
  w.u8(1);
  EXPECT_FALSE(w.ok());
  EXPECT_EQ(w.size(), 6u);
  w.put16_at(0, 0x1111);
  EXPECT_EQ(buf[0], 0x11);
}

}  // namespace
}  // namespace ferry
