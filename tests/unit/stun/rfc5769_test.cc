// RFC 5769 test vectors, byte for byte: parsing, XOR addresses, MESSAGE-INTEGRITY with short-
// and long-term credentials, FINGERPRINT; and re-encoding where our zero padding allows it.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <string>

#include "ferry/stun/attributes.h"
#include "ferry/stun/message.h"
#include "test_util.h"

namespace ferry::stun {
namespace {

using testing::bytes_of;
using testing::hex;

// RFC 5769 §2.1: Binding request, short-term credentials. Note the 0x20 padding after
// USERNAME: padding bytes are ignored on receipt (RFC 8489 §14) but covered by the hashes.
const testing::Buffer kSampleRequest =
    hex("00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
        "80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74"
        "00 24 00 04 6e 00 01 ff"
        "80 29 00 08 93 2f f9 b1 51 26 3b 36"
        "00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20"
        "00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2"
        "80 28 00 04 e5 7a 3b cf");

// RFC 5769 §2.2: Binding success, XOR-MAPPED-ADDRESS 192.0.2.1:32853.
const testing::Buffer kIpv4Response =
    hex("01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
        "80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20"
        "00 20 00 08 00 01 a1 47 e1 12 a6 43"
        "00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7"
        "80 28 00 04 c0 7d 4c 96");

// RFC 5769 §2.3: Binding success, XOR-MAPPED-ADDRESS [2001:db8:1234:5678:11:2233:4455:6677]:32853.
const testing::Buffer kIpv6Response =
    hex("01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
        "80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20"
        "00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9"
        "00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41"
        "80 28 00 04 c8 fb 0b 4c");

// RFC 5769 §2.4: Binding request, long-term credentials, no FINGERPRINT.
const testing::Buffer kLongTermRequest =
    hex("00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e"
        "00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00"
        "00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 "
        "73 41"
        "00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00"
        "00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66");

constexpr std::string_view kShortTermPassword = "VOkJxbRl1RmTxUk/WvJxBt";
const TransactionId kTid{0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};
// U+30DE U+30C8 U+30EA U+30C3 U+30AF U+30B9 in UTF-8.
constexpr std::string_view kLongTermUser =
    "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9";
constexpr std::string_view kLongTermNonce = "f//499k954d6OL34oL9FSTvy64sA";

// The encoding of one typed attribute value, as our writer produces it.
template <class A>
testing::Buffer encode_value(const A& a, const TransactionId& tid) {
  std::array<std::uint8_t, 64> buf{};
  Writer w(buf);
  a.write_value(w, tid);
  EXPECT_TRUE(w.ok());
  return testing::Buffer(buf.begin(), buf.begin() + static_cast<long>(w.size()));
}

TEST(StunRfc5769, SampleRequest) {
  auto m = MessageView::parse(bytes_of(kSampleRequest));
  ASSERT_TRUE(m) << m.error().what;
  EXPECT_TRUE(m->is(Method::kBinding, Class::kRequest));
  EXPECT_FALSE(m->rfc3489());
  EXPECT_EQ(m->transaction_id(), kTid);
  EXPECT_EQ(m->attribute_count(), 6u);
  EXPECT_EQ(m->get<attr::Software>()->value, "STUN test client");
  EXPECT_EQ(m->get<attr::Username>()->value, "evtj:h6vY");
  EXPECT_EQ(m->get<attr::Priority>()->priority, 0x6e0001ffu);
  EXPECT_EQ(m->get<attr::IceControlled>()->tiebreaker, 0x932ff9b151263b36u);
  EXPECT_FALSE(m->has<attr::IceControlling>());
  EXPECT_TRUE(m->has_fingerprint());
  EXPECT_TRUE(check_fingerprint(*m));
  EXPECT_TRUE(check_message_integrity(*m, as_bytes(kShortTermPassword)));
  EXPECT_FALSE(check_message_integrity(*m, as_bytes("VOkJxbRl1RmTxUk/WvJxBT")));
  EXPECT_FALSE(check_message_integrity_sha256(*m, as_bytes(kShortTermPassword)));
  // PRIORITY and ICE-CONTROLLED are comprehension-required or -optional ICE attributes we know.
  std::array<std::uint16_t, 4> unknown{};
  EXPECT_EQ(m->unknown_required(unknown), 0u);
}

TEST(StunRfc5769, Ipv4Response) {
  auto m = MessageView::parse(bytes_of(kIpv4Response));
  ASSERT_TRUE(m) << m.error().what;
  EXPECT_TRUE(m->is(Method::kBinding, Class::kSuccess));
  EXPECT_EQ(m->get<attr::Software>()->value, "test vector");
  const Address expected = *Address::parse_ip("192.0.2.1", 32853);
  EXPECT_EQ(m->get<attr::XorMappedAddress>()->address, expected);
  EXPECT_TRUE(check_message_integrity(*m, as_bytes(kShortTermPassword)));
  EXPECT_TRUE(check_fingerprint(*m));
  // Our encoder produces the vector's XOR-MAPPED-ADDRESS value exactly.
  EXPECT_EQ(encode_value(attr::XorMappedAddress{expected}, kTid), hex("00 01 a1 47 e1 12 a6 43"));
}

TEST(StunRfc5769, Ipv6Response) {
  auto m = MessageView::parse(bytes_of(kIpv6Response));
  ASSERT_TRUE(m) << m.error().what;
  const Address expected = *Address::parse_ip("2001:db8:1234:5678:11:2233:4455:6677", 32853);
  EXPECT_EQ(m->get<attr::XorMappedAddress>()->address, expected);
  EXPECT_TRUE(check_message_integrity(*m, as_bytes(kShortTermPassword)));
  EXPECT_TRUE(check_fingerprint(*m));
  EXPECT_EQ(encode_value(attr::XorMappedAddress{expected}, kTid),
            hex("00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9"));
}

TEST(StunRfc5769, LongTermRequest) {
  auto m = MessageView::parse(bytes_of(kLongTermRequest));
  ASSERT_TRUE(m) << m.error().what;
  EXPECT_TRUE(m->is(Method::kBinding, Class::kRequest));
  EXPECT_EQ(m->get<attr::Username>()->value, kLongTermUser);
  EXPECT_EQ(m->get<attr::Nonce>()->value, kLongTermNonce);
  EXPECT_EQ(m->get<attr::Realm>()->value, "example.org");
  EXPECT_FALSE(m->has_fingerprint());
  EXPECT_FALSE(check_fingerprint(*m));
  // SASLprep("The<U+00AD>M<U+00AA>tr<U+2168>") is "TheMatrIX" (RFC 5769 §2.4).
  std::string input = std::string(kLongTermUser) + ":example.org:TheMatrIX";
  const auto key = testing::md5(input);
  EXPECT_TRUE(check_message_integrity(*m, key));
  const auto wrong = testing::md5(std::string(kLongTermUser) + ":example.org:thematrix");
  EXPECT_FALSE(check_message_integrity(*m, wrong));
}

TEST(StunRfc5769, LongTermRequestIsRebuiltByteForByte) {
  // §2.4 pads with zero bytes, as our builder does, so the whole message must come out equal,
  // including the HMAC (which proves the §14.5 length adjustment).
  auto parsed = MessageView::parse(bytes_of(kLongTermRequest));
  ASSERT_TRUE(parsed);
  const auto key = testing::md5(std::string(kLongTermUser) + ":example.org:TheMatrIX");
  std::array<std::uint8_t, 256> buf{};
  MessageBuilder b(buf, Method::kBinding, Class::kRequest, parsed->transaction_id());
  b.add(attr::Username{kLongTermUser})
      .add(attr::Nonce{kLongTermNonce})
      .add(attr::Realm{"example.org"})
      .add_message_integrity(key);
  Bytes out = b.finish();
  EXPECT_EQ(testing::to_hex(out), testing::to_hex(bytes_of(kLongTermRequest)));
}

TEST(StunRfc5769, SampleRequestRebuiltWithZeroPaddingVerifies) {
  // §2.1 pads USERNAME with spaces; rebuilt with zero padding the bytes differ, but the same
  // attributes and key must again give a message whose integrity and fingerprint verify.
  std::array<std::uint8_t, 256> buf{};
  MessageBuilder b(buf, Method::kBinding, Class::kRequest, kTid);
  b.add(attr::Software{"STUN test client"})
      .add(attr::Priority{0x6e0001ff})
      .add(attr::IceControlled{0x932ff9b151263b36})
      .add(attr::Username{"evtj:h6vY"})
      .add_message_integrity(as_bytes(kShortTermPassword))
      .add_fingerprint();
  Bytes out = b.finish();
  ASSERT_EQ(out.size(), kSampleRequest.size());
  // Everything before USERNAME's padding is identical.
  EXPECT_TRUE(std::equal(out.begin(), out.begin() + 73, kSampleRequest.begin()));
  auto m = MessageView::parse(out);
  ASSERT_TRUE(m);
  EXPECT_TRUE(check_message_integrity(*m, as_bytes(kShortTermPassword)));
  EXPECT_TRUE(check_fingerprint(*m));
}

TEST(StunRfc5769, EveryPrefixOfEveryVectorIsRejectedSafely) {
  // Exact-size heap copies, so that AddressSanitizer sees any read past the end.
  for (const auto* v : {&kSampleRequest, &kIpv4Response, &kIpv6Response, &kLongTermRequest}) {
    for (std::size_t n = 0; n < v->size(); ++n) {
      testing::Buffer prefix(v->begin(), v->begin() + static_cast<long>(n));
      EXPECT_FALSE(MessageView::parse(bytes_of(prefix))) << n;
    }
  }
}

TEST(StunRfc5769, NoSingleBitFlipIsAcceptedAsAuthentic) {
  // FINGERPRINT and MESSAGE-INTEGRITY cover every byte before them, so a flipped bit must get
  // the message rejected or leave it without a verifying MESSAGE-INTEGRITY, unless the flip
  // is after MESSAGE-INTEGRITY, where it is not protected and ignored (RFC 8489 §14.5). (A
  // flip in an attribute length can swallow FINGERPRINT into another attribute's value, so
  // parsing alone does not catch every flip; the HMAC does.)
  int rejected = 0;
  for (const auto* v : {&kSampleRequest, &kIpv4Response, &kIpv6Response}) {
    const std::size_t protected_end = v->size() - 8;  // MESSAGE-INTEGRITY ends before FINGERPRINT
    for (std::size_t bit = 0; bit < v->size() * 8; ++bit) {
      testing::Buffer copy = *v;
      copy[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
      auto m = MessageView::parse(bytes_of(copy));
      rejected += m ? 0 : 1;
      if (m && check_message_integrity(*m, as_bytes(kShortTermPassword))) {
        EXPECT_GE(bit / 8, protected_end) << bit;
        EXPECT_FALSE(m->has_fingerprint()) << bit;  // the flip hit FINGERPRINT's type
      }
    }
  }
  EXPECT_GT(rejected, 0);
}

TEST(StunCredentials, LongTermKeyVector) {
  // CONFORMANCE.md: MD5("ninefingers:north.gov:youhavetoberealistic").
  EXPECT_EQ(testing::to_hex(testing::md5("ninefingers:north.gov:youhavetoberealistic")),
            "bc807ee29df3c9ffa736523fb2c4e8ee");
}

}  // namespace
}  // namespace ferry::stun
