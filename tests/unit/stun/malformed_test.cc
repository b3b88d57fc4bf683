// CONFORMANCE.md "Parser": every malformed input is rejected, with no read outside the buffer.
// Inputs are exact-size heap buffers so that AddressSanitizer (FERRY_SANITIZE) sees overreads.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <memory>
#include <vector>

#include "ferry/stun/attributes.h"
#include "ferry/stun/message.h"
#include "test_util.h"

namespace ferry::stun {
namespace {

using testing::Buffer;
using testing::bytes_of;

const TransactionId kTid{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

// A Binding request header with the given length field, followed by `body`.
Buffer header(std::uint16_t length, const Buffer& body = {}) {
  // Sized once and filled in place (vector::insert here trips a GCC 12 -Warray-bounds bug).
  Buffer p(kHeaderSize + body.size(), 0);
  store_be16(&p[0], 0x0001);
  store_be16(&p[2], length);
  store_be32(&p[4], kMagicCookie);
  for (std::size_t i = 8; i < kHeaderSize; ++i) p[i] = static_cast<std::uint8_t>(i);
  std::copy(body.begin(), body.end(), p.begin() + kHeaderSize);
  return p;
}

Buffer built(auto&& fill) {
  std::array<std::uint8_t, 512> buf{};
  MessageBuilder b(buf, Method::kBinding, Class::kRequest, kTid);
  fill(b);
  Bytes out = b.finish();
  return Buffer(out.begin(), out.end());
}

bool parses(const Buffer& b) {
  return MessageView::parse(bytes_of(b)).ok();
}

TEST(StunMalformed, ShortDatagrams) {
  const Buffer full = header(0);
  ASSERT_TRUE(parses(full));
  for (std::size_t n = 0; n < kHeaderSize; ++n) {
    EXPECT_FALSE(parses(Buffer(full.begin(), full.begin() + static_cast<long>(n)))) << n;
  }
}

TEST(StunMalformed, LengthNotAMultipleOfFour) {
  for (std::uint16_t len : {1, 2, 3, 5, 6, 7}) {
    EXPECT_FALSE(parses(header(len, Buffer(len, 0)))) << len;
  }
}

TEST(StunMalformed, LengthDisagreesWithTheDatagram) {
  EXPECT_FALSE(parses(header(100)));              // beyond the datagram
  EXPECT_FALSE(parses(header(4)));                // beyond by 4
  EXPECT_FALSE(parses(header(0, Buffer(8, 0))));  // trailing bytes
  EXPECT_FALSE(parses(header(0xFFFC)));           // the largest length, nothing behind it
  EXPECT_FALSE(parses(header(4, Buffer(8, 0))));  // shorter than the datagram
}

TEST(StunMalformed, TopBitsSet) {
  for (std::uint8_t first : {0x40, 0x80, 0xC0, 0xFF}) {
    Buffer p = header(0);
    p[0] = first;
    EXPECT_FALSE(parses(p)) << int{first};
  }
}

TEST(StunMalformed, AttributeOverrunsTheMessage) {
  // SOFTWARE claims 200 bytes, 4 are present.
  EXPECT_FALSE(parses(header(8, testing::hex("80 22 00 c8 01 02 03 04"))));
  // A 5-byte value needs 8 bytes with its padding; only 4 follow.
  EXPECT_FALSE(parses(header(8, testing::hex("80 22 00 05 61 62 63 64"))));
  // The largest attribute length inside a tiny message.
  EXPECT_FALSE(parses(header(4, testing::hex("00 06 ff ff"))));
  // Exact fit, for contrast.
  EXPECT_TRUE(parses(header(12, testing::hex("80 22 00 05 61 62 63 64 65 00 00 00"))));
  EXPECT_TRUE(parses(header(4, testing::hex("00 1a 00 00"))));
}

TEST(StunMalformed, WrongFingerprint) {
  Buffer good = built([](MessageBuilder& b) { b.add(attr::Software{"abc"}).add_fingerprint(); });
  ASSERT_TRUE(parses(good));
  Buffer bad_value = good;
  bad_value.back() ^= 0x01;
  EXPECT_FALSE(parses(bad_value));
  Buffer bad_body = good;
  bad_body[24] ^= 0x01;  // SOFTWARE's first byte
  EXPECT_FALSE(parses(bad_body));
  // FINGERPRINT must be exactly 4 bytes.
  Buffer eight = built([](MessageBuilder& b) {
    const std::array<std::uint8_t, 8> v{};
    b.add_raw(attr::kFingerprint, v);
  });
  EXPECT_FALSE(parses(eight));
}

TEST(StunMalformed, FingerprintNotLast) {
  Buffer p = built([](MessageBuilder& b) { b.add_fingerprint(); });
  // Append SOFTWARE after FINGERPRINT and fix the length (the CRC itself stays right).
  const Buffer tail = testing::hex("80 22 00 04 61 62 63 64");
  p.insert(p.end(), tail.begin(), tail.end());
  store_be16(&p[2], static_cast<std::uint16_t>(p.size() - kHeaderSize));
  EXPECT_FALSE(parses(p));
  // Two FINGERPRINTs: the first is not last.
  Buffer two = built([](MessageBuilder& b) { b.add_fingerprint(); });
  const Buffer fp(two.end() - 8, two.end());
  two.insert(two.end(), fp.begin(), fp.end());
  store_be16(&two[2], static_cast<std::uint16_t>(two.size() - kHeaderSize));
  EXPECT_FALSE(parses(two));
}

TEST(StunMalformed, OversizedDatagrams) {
  // A 65,535-byte datagram cannot be STUN (not a multiple of 4) whatever its length field says.
  for (std::uint16_t len : {0xFFFF, 0xFFEB, 0xFFE8, 0x0000}) {
    Buffer p = header(len, Buffer(65535 - kHeaderSize, 0));
    EXPECT_FALSE(parses(p)) << len;
  }
  // 65,536 bytes with a consistent length: above the largest message.
  Buffer p = header(65516, Buffer(65516, 0));
  EXPECT_FALSE(parses(p));
  // The largest message: 65,532 bytes, one DATA attribute.
  Buffer q = header(65512, Buffer(65512, 0));
  store_be16(&q[20], attr::Data::kType);
  store_be16(&q[22], 65508);
  auto m = MessageView::parse(bytes_of(q));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->get<attr::Data>()->value.size(), 65508u);
}

TEST(StunMalformed, MisalignedBuffers) {
  Buffer msg = built([](MessageBuilder& b) {
    b.add(attr::XorMappedAddress{*Address::parse_endpoint("[2001:db8::7]:1234")})
        .add(attr::Lifetime{77})
        .add_message_integrity(as_bytes("k"))
        .add_fingerprint();
  });
  for (std::size_t shift = 1; shift < 8; ++shift) {
    auto storage = std::make_unique<std::uint8_t[]>(msg.size() + shift);
    std::copy(msg.begin(), msg.end(), storage.get() + shift);
    auto m = MessageView::parse(Bytes(storage.get() + shift, msg.size()));
    ASSERT_TRUE(m) << shift;
    EXPECT_EQ(m->get<attr::Lifetime>()->seconds, 77u);
    EXPECT_EQ(m->get<attr::XorMappedAddress>()->address.port(), 1234);
    EXPECT_TRUE(check_message_integrity(*m, as_bytes("k")));
  }
}

TEST(StunMalformed, TooManyAttributes) {
  auto with = [](std::size_t n) {
    Buffer body;
    for (std::size_t i = 0; i < n; ++i) {
      const Buffer a = testing::hex("80 22 00 00");  // empty SOFTWARE
      body.insert(body.end(), a.begin(), a.end());
    }
    return header(static_cast<std::uint16_t>(body.size()), body);
  };
  EXPECT_TRUE(parses(with(kMaxAttributes)));
  EXPECT_FALSE(parses(with(kMaxAttributes + 1)));
  EXPECT_FALSE(parses(with(1000)));
}

TEST(StunMalformed, AddressValuesWithBadLengthsOrFamilies) {
  auto get_mapped = [](const Buffer& value) {
    Buffer p =
        built([&](MessageBuilder& b) { b.add_raw(attr::MappedAddress::kType, bytes_of(value)); });
    auto m = MessageView::parse(bytes_of(p));
    EXPECT_TRUE(m);
    return m->get<attr::MappedAddress>().has_value();
  };
  EXPECT_TRUE(get_mapped(testing::hex("00 01 0d 96 c0 00 02 01")));
  EXPECT_FALSE(get_mapped(testing::hex("00 03 0d 96 c0 00 02 01")));  // unknown family
  EXPECT_FALSE(get_mapped(testing::hex("00 00 0d 96 c0 00 02 01")));
  EXPECT_FALSE(get_mapped(testing::hex("00 02 0d 96 c0 00 02 01")));  // IPv6 with 4 bytes
  EXPECT_FALSE(get_mapped(testing::hex("00 01 0d 96 c0 00 02")));     // short
  EXPECT_FALSE(get_mapped(testing::hex("00 01 0d 96 c0 00 02 01 00")));
  EXPECT_FALSE(
      get_mapped(testing::hex("00 01 0d 96 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00")));
  EXPECT_FALSE(get_mapped({}));
}

TEST(StunMalformed, EveryTruncationAndLengthEditOfAFullMessageIsSafe) {
  Buffer msg = built([](MessageBuilder& b) {
    b.add(attr::Username{"user"})
        .add(attr::Realm{"realm"})
        .add(attr::Nonce{"nonce"})
        .add(attr::XorPeerAddress{*Address::parse_endpoint("192.0.2.9:9")})
        .add(attr::Data{as_bytes("payload")})
        .add_message_integrity(as_bytes("k"))
        .add_fingerprint();
  });
  // Rewrite every attribute length and the header length with every value that keeps the
  // message a multiple of 4, then parse: must never read outside the buffer.
  for (std::size_t at = 2; at < msg.size(); at += 4) {
    for (std::uint32_t v : {0u, 1u, 3u, 4u, 7u, 8u, 0x7FFFu, 0xFFFCu, 0xFFFFu}) {
      Buffer p = msg;
      store_be16(&p[at], static_cast<std::uint16_t>(v));
      auto m = MessageView::parse(bytes_of(p));
      if (m) {
        for (std::size_t i = 0; i < m->attribute_count(); ++i) {
          const auto& a = m->attribute(i);
          ASSERT_LE(a.offset + 4 + a.value.size(), p.size());
        }
      }
    }
  }
}

}  // namespace
}  // namespace ferry::stun
