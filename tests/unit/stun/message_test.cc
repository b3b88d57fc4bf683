// MessageView / MessageBuilder behaviour beyond the RFC 5769 vectors: type encoding, building a
// response and reading it back, integrity ordering rules, 420 support, RFC 3489 messages.
#include <gtest/gtest.h>

#include <openssl/hmac.h>

#include <array>
#include <string>
#include <vector>

#include "ferry/stun/attributes.h"
#include "ferry/stun/crc32.h"
#include "ferry/stun/message.h"
#include "test_util.h"

namespace ferry::stun {
namespace {

using testing::bytes_of;

const TransactionId kTid{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
constexpr std::string_view kKey = "key";

TEST(StunMessage, TypeEncodingInterleavesClassBits) {
  // RFC 8489 §5 and RFC 8656 §17 examples.
  EXPECT_EQ(encode_type(0x001, Class::kRequest), 0x0001);
  EXPECT_EQ(encode_type(0x001, Class::kSuccess), 0x0101);
  EXPECT_EQ(encode_type(0x001, Class::kError), 0x0111);
  EXPECT_EQ(encode_type(0x003, Class::kError), 0x0113);
  EXPECT_EQ(encode_type(0x006, Class::kIndication), 0x0016);
  EXPECT_EQ(encode_type(0x007, Class::kIndication), 0x0017);
  EXPECT_EQ(encode_type(0xFFF, Class::kError), 0x3FFF);
  for (std::uint16_t method = 0; method <= 0xFFF; ++method) {
    for (Class c : {Class::kRequest, Class::kIndication, Class::kSuccess, Class::kError}) {
      const std::uint16_t t = encode_type(method, c);
      ASSERT_EQ(decode_method(t), method);
      ASSERT_EQ(decode_class(t), c);
      ASSERT_EQ(t & 0xC000, 0);
    }
  }
}

TEST(StunMessage, MethodsFromTheWire) {
  EXPECT_EQ(to_method(0x001), Method::kBinding);
  EXPECT_EQ(to_method(0x003), Method::kAllocate);
  EXPECT_EQ(to_method(0x009), Method::kChannelBind);
  EXPECT_EQ(to_method(0x00C), Method::kConnectionAttempt);  // RFC 6062
  // Values nobody defined (or that Ferry does not know) are no Method.
  EXPECT_FALSE(to_method(0x000));
  EXPECT_FALSE(to_method(0x002));  // RFC 3489's SharedSecret, removed by RFC 5389
  EXPECT_FALSE(to_method(0x005));
  EXPECT_FALSE(to_method(0x00D));
  EXPECT_FALSE(to_method(0xFFF));
  int known = 0;
  for (std::uint16_t v = 0; v <= 0xFFF; ++v) {
    if (auto m = to_method(v)) {
      EXPECT_EQ(static_cast<std::uint16_t>(*m), v);
      ++known;
    }
  }
  EXPECT_EQ(known, 10);
}

TEST(StunMessage, Crc32MatchesZlib) {
  EXPECT_EQ(crc32(as_bytes("")), 0u);
  EXPECT_EQ(crc32(as_bytes("123456789")), 0xCBF43926u);  // the standard check value
  EXPECT_EQ(crc32(as_bytes("The quick brown fox jumps over the lazy dog")), 0x414FA339u);
  EXPECT_EQ(crc32(as_bytes("56789"), crc32(as_bytes("1234"))), 0xCBF43926u);
}

TEST(StunMessage, Crc32MatchesTheBitwiseDefinitionAtEveryLengthAndAlignment) {
  // The eight-bytes-at-a-time path against the polynomial itself, bit by bit.
  auto bitwise = [](const std::uint8_t* p, std::size_t n) {
    std::uint32_t c = 0xFFFFFFFFu;
    for (std::size_t i = 0; i < n; ++i) {
      c ^= p[i];
      for (int b = 0; b < 8; ++b) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return ~c;
  };
  std::vector<std::uint8_t> buf(1300);
  std::uint32_t x = 12345;
  for (auto& b : buf) b = static_cast<std::uint8_t>((x = x * 1103515245u + 12345u) >> 16);
  for (std::size_t offset = 0; offset < 8; ++offset) {
    for (std::size_t n = 0; n + offset <= buf.size(); n += (n < 64 ? 1 : 37)) {
      ASSERT_EQ(crc32(Bytes(buf.data() + offset, n)), bitwise(buf.data() + offset, n))
          << "offset " << offset << " length " << n;
    }
  }
}

TEST(StunMessage, BuildsAResponseAndParsesItBack) {
  const Address mapped = *Address::parse_endpoint("198.51.100.7:40000");
  const Address origin = *Address::parse_endpoint("[2001:db8::1]:3478");
  std::array<std::uint8_t, 512> buf{};
  MessageBuilder b(buf, Method::kBinding, Class::kSuccess, kTid);
  b.add(attr::XorMappedAddress{mapped})
      .add(attr::MappedAddress{mapped})
      .add(attr::ResponseOrigin{origin})
      .add(attr::Software{"Ferry"})
      .add_message_integrity(as_bytes(kKey))
      .add_fingerprint();
  ASSERT_TRUE(b.ok());
  Bytes out = b.finish();
  ASSERT_FALSE(out.empty());
  // 20 + (4+8) + (4+8) + (4+20) + (4+5+3) + (4+20) + (4+4)
  EXPECT_EQ(out.size(), 112u);
  EXPECT_EQ(load_be16(&out[2]), out.size() - kHeaderSize);
  EXPECT_TRUE(looks_like_stun(out));
  // SOFTWARE's padding is zero bytes (RFC 8489 §14: no uninitialised bytes on the wire).
  EXPECT_EQ(out[20 + 12 + 12 + 24 + 4 + 5], 0);

  auto m = MessageView::parse(out);
  ASSERT_TRUE(m) << m.error().what;
  EXPECT_TRUE(m->is(Method::kBinding, Class::kSuccess));
  EXPECT_EQ(m->transaction_id(), kTid);
  EXPECT_EQ(m->get<attr::XorMappedAddress>()->address, mapped);
  EXPECT_EQ(m->get<attr::MappedAddress>()->address, mapped);
  EXPECT_EQ(m->get<attr::ResponseOrigin>()->address, origin);
  EXPECT_EQ(m->get<attr::Software>()->value, "Ferry");
  EXPECT_TRUE(check_message_integrity(*m, as_bytes(kKey)));
  EXPECT_FALSE(check_message_integrity(*m, as_bytes("other")));
  EXPECT_TRUE(check_fingerprint(*m));
  EXPECT_TRUE(m->has_fingerprint());
  EXPECT_EQ(m->find(attr::kFingerprint)->offset, out.size() - 8);
  EXPECT_EQ(m->message_integrity()->offset, out.size() - 8 - 24);
}

TEST(StunMessage, AttributesAfterMessageIntegrityAreIgnored) {
  std::array<std::uint8_t, 256> buf{};
  MessageBuilder b(buf, Method::kAllocate, Class::kRequest, kTid);
  b.add(attr::Lifetime{600}).add_message_integrity(as_bytes(kKey));
  // An attacker appends attributes after MESSAGE-INTEGRITY (RFC 8489 §14.5): allowed on the
  // wire, invisible to find()/get()/unknown_required(), and the HMAC still verifies.
  b.add(attr::Lifetime{0}).add(attr::Username{"mallory"}).add_raw(0x7FFE, {});
  Bytes out = b.finish();
  auto m = MessageView::parse(out);
  ASSERT_TRUE(m) << m.error().what;
  EXPECT_EQ(m->attribute_count(), 5u);
  EXPECT_EQ(m->get<attr::Lifetime>()->seconds, 600u);
  EXPECT_FALSE(m->has<attr::Username>());
  std::array<std::uint16_t, 4> unknown{};
  EXPECT_EQ(m->unknown_required(unknown), 0u);
  EXPECT_TRUE(check_message_integrity(*m, as_bytes(kKey)));
}

TEST(StunMessage, Sha256IntegrityMayFollowSha1Integrity) {
  std::array<std::uint8_t, 256> buf{};
  MessageBuilder b(buf, Method::kAllocate, Class::kRequest, kTid);
  b.add(attr::RequestedTransport{attr::RequestedTransport::kUdp})
      .add_message_integrity(as_bytes(kKey))
      .add_message_integrity_sha256(as_bytes(kKey))
      .add_fingerprint();
  Bytes out = b.finish();
  ASSERT_EQ(out.size(), 20u + 8 + 24 + 36 + 8);
  auto m = MessageView::parse(out);
  ASSERT_TRUE(m) << m.error().what;
  EXPECT_EQ(m->message_integrity_sha256()->value.size(), kHmacSha256Size);
  EXPECT_TRUE(check_message_integrity(*m, as_bytes(kKey)));
  EXPECT_TRUE(check_message_integrity_sha256(*m, as_bytes(kKey)));
  EXPECT_FALSE(check_message_integrity_sha256(*m, as_bytes("other")));
  EXPECT_TRUE(m->has<attr::RequestedTransport>());
}

TEST(StunMessage, Sha1IntegrityAfterSha256IntegrityIsIgnored) {
  std::array<std::uint8_t, 256> buf{};
  MessageBuilder b(buf, Method::kBinding, Class::kRequest, kTid);
  b.add_message_integrity_sha256(as_bytes(kKey)).add_message_integrity(as_bytes(kKey));
  auto m = MessageView::parse(b.finish());
  ASSERT_TRUE(m);
  EXPECT_TRUE(check_message_integrity_sha256(*m, as_bytes(kKey)));
  // RFC 8489 §14.6: everything after MESSAGE-INTEGRITY-SHA256 but FINGERPRINT is ignored.
  EXPECT_FALSE(m->message_integrity());
  EXPECT_FALSE(check_message_integrity(*m, as_bytes(kKey)));
}

TEST(StunMessage, TruncatedSha256IntegrityVerifies) {
  // RFC 8489 §14.6: an agent may truncate the HMAC-SHA256 to 16..32 bytes (multiples of 4).
  std::array<std::uint8_t, 128> buf{};
  MessageBuilder b(buf, Method::kBinding, Class::kRequest, kTid);
  Bytes body = b.finish();
  testing::Buffer msg(body.begin(), body.end());
  store_be16(&msg[2], 4 + 16);  // the length as if a 16-byte MI-SHA256 ended the message
  std::array<std::uint8_t, 32> mac{};
  unsigned n = 0;
  HMAC(EVP_sha256(), kKey.data(), static_cast<int>(kKey.size()), msg.data(), msg.size(), mac.data(),
       &n);
  const auto attr_header = testing::hex("00 1c 00 10");
  msg.insert(msg.end(), attr_header.begin(), attr_header.end());
  msg.insert(msg.end(), mac.begin(), mac.begin() + 16);
  auto m = MessageView::parse(bytes_of(msg));
  ASSERT_TRUE(m);
  EXPECT_TRUE(check_message_integrity_sha256(*m, as_bytes(kKey)));
  msg.back() ^= 1;
  EXPECT_FALSE(check_message_integrity_sha256(*MessageView::parse(bytes_of(msg)), as_bytes(kKey)));
}

TEST(StunMessage, TamperedMessageFailsIntegrity) {
  std::array<std::uint8_t, 256> buf{};
  MessageBuilder b(buf, Method::kRefresh, Class::kRequest, kTid);
  b.add(attr::Lifetime{600}).add_message_integrity(as_bytes(kKey));
  Bytes out = b.finish();
  testing::Buffer copy(out.begin(), out.end());
  copy[27] ^= 0x01;  // LIFETIME's last byte
  auto m = MessageView::parse(bytes_of(copy));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->get<attr::Lifetime>()->seconds, 601u);
  EXPECT_FALSE(check_message_integrity(*m, as_bytes(kKey)));
  EXPECT_FALSE(m->has_fingerprint());
  EXPECT_FALSE(check_fingerprint(*m));
}

TEST(StunMessage, EmptyKeyIsStillAKey) {
  std::array<std::uint8_t, 128> buf{};
  MessageBuilder b(buf, Method::kBinding, Class::kRequest, kTid);
  b.add_message_integrity({});
  auto m = MessageView::parse(b.finish());
  ASSERT_TRUE(m);
  EXPECT_TRUE(check_message_integrity(*m, {}));
  EXPECT_FALSE(check_message_integrity(*m, as_bytes("x")));
}

TEST(StunMessage, UnknownComprehensionRequiredAttributesAreListedOnce) {
  std::array<std::uint8_t, 256> buf{};
  MessageBuilder b(buf, Method::kBinding, Class::kRequest, kTid);
  const std::array<std::uint8_t, 4> v{1, 2, 3, 4};
  b.add_raw(0x7FFE, v).add_raw(0x0030, {}).add_raw(0x7FFE, v).add_raw(0xC0DE, v);
  b.add(attr::Software{"x"}).add_raw(0x0007, {});
  auto m = MessageView::parse(b.finish());
  ASSERT_TRUE(m);
  std::array<std::uint16_t, 8> out{};
  ASSERT_EQ(m->unknown_required(out), 3u);
  EXPECT_EQ(out[0], 0x7FFE);
  EXPECT_EQ(out[1], 0x0030);
  EXPECT_EQ(out[2], 0x0007);
  std::array<std::uint16_t, 1> one{};
  EXPECT_EQ(m->unknown_required(one), 1u);  // bounded by the output
  EXPECT_EQ(m->unknown_required({}), 0u);
}

TEST(StunMessage, GetOfAMalformedValueIsEmptyButHasIsTrue) {
  std::array<std::uint8_t, 128> buf{};
  MessageBuilder b(buf, Method::kAllocate, Class::kRequest, kTid);
  const std::array<std::uint8_t, 3> three{0, 0, 1};
  b.add_raw(attr::Lifetime::kType, three);
  auto m = MessageView::parse(b.finish());
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->has<attr::Lifetime>());
  EXPECT_FALSE(m->get<attr::Lifetime>());
}

TEST(StunMessage, FirstOfRepeatedAttributesWins) {
  std::array<std::uint8_t, 128> buf{};
  MessageBuilder b(buf, Method::kAllocate, Class::kRequest, kTid);
  b.add(attr::Lifetime{1}).add(attr::Lifetime{2});
  auto m = MessageView::parse(b.finish());
  ASSERT_TRUE(m);
  EXPECT_EQ(m->get<attr::Lifetime>()->seconds, 1u);
  EXPECT_EQ(m->attribute(1).type, attr::Lifetime::kType);
}

TEST(StunMessage, Rfc3489MessagesKeepTheir128BitId) {
  const auto req = testing::hex("00 01 00 00 de ad be ef 01 02 03 04 05 06 07 08 09 0a 0b 0c");
  auto m = MessageView::parse(bytes_of(req));
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->rfc3489());
  EXPECT_EQ(m->transaction_id(), kTid);
  EXPECT_EQ(testing::to_hex(m->rfc3489_id()), "deadbeef0102030405060708090a0b0c");

  std::array<std::uint8_t, 128> buf{};
  auto b = MessageBuilder::rfc3489(buf, m->method(), Class::kSuccess, m->rfc3489_id());
  b.add(attr::MappedAddress{*Address::parse_endpoint("192.0.2.1:3478")});
  auto r = MessageView::parse(b.finish());
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->rfc3489());
  EXPECT_TRUE(r->is(Method::kBinding, Class::kSuccess));
  EXPECT_EQ(testing::to_hex(r->rfc3489_id()), "deadbeef0102030405060708090a0b0c");

  std::array<std::uint8_t, 15> short_id{};
  auto bad = MessageBuilder::rfc3489(buf, 1, Class::kSuccess, short_id);
  EXPECT_FALSE(bad.ok());
  EXPECT_TRUE(bad.finish().empty());
}

TEST(StunMessage, BuilderFailsInsteadOfOverflowing) {
  std::array<std::uint8_t, 19> tiny{};
  MessageBuilder t(tiny, Method::kBinding, Class::kRequest, kTid);
  EXPECT_FALSE(t.ok());
  EXPECT_TRUE(t.finish().empty());

  std::array<std::uint8_t, 40> small{};
  MessageBuilder b(small, Method::kBinding, Class::kRequest, kTid);
  b.add(attr::Software{"fits"});
  EXPECT_TRUE(b.ok());
  b.add_message_integrity(as_bytes(kKey));  // 24 more bytes do not fit
  EXPECT_FALSE(b.ok());
  EXPECT_TRUE(b.finish().empty());
}

TEST(StunMessage, BuilderRefusesValuesItCannotEncode) {
  std::array<std::uint8_t, 2048> buf{};
  auto fails = [&](auto attribute) {
    MessageBuilder b(buf, Method::kBinding, Class::kError, kTid);
    b.add(attribute);
    return !b.ok() && b.finish().empty();
  };
  EXPECT_TRUE(fails(attr::ErrorCode{200, "OK"}));
  EXPECT_TRUE(fails(attr::ErrorCode{700, "Nope"}));
  EXPECT_TRUE(fails(attr::XorMappedAddress{Address{}}));
  EXPECT_TRUE(fails(attr::Software{std::string(510, 'x')}));
  EXPECT_TRUE(fails(attr::Username{std::string(509, 'u')}));
  EXPECT_TRUE(fails(attr::Userhash{as_bytes("short")}));
  EXPECT_TRUE(fails(attr::RequestedAddressFamily{Family::kNone}));
  EXPECT_FALSE(fails(attr::Software{std::string(509, 'x')}));
}

TEST(StunMessage, NothingMayFollowFingerprint) {
  std::array<std::uint8_t, 128> buf{};
  MessageBuilder b(buf, Method::kBinding, Class::kRequest, kTid);
  b.add_fingerprint().add(attr::Software{"late"});
  EXPECT_FALSE(b.ok());
  MessageBuilder c(buf, Method::kBinding, Class::kRequest, kTid);
  c.add_fingerprint().add_message_integrity(as_bytes(kKey));
  EXPECT_FALSE(c.ok());
}

TEST(StunMessage, BuilderCapsTheMessageAtTheLargestLengthField) {
  std::vector<std::uint8_t> buf(70000);
  // The length field's largest multiple of 4 is 0xFFFC: 20 + 4 + 65528 bytes of DATA.
  std::vector<std::uint8_t> data(0xFFFC - 4);
  MessageBuilder ok(buf, Method::kSend, Class::kIndication, kTid);
  ok.add(attr::Data{data});
  EXPECT_EQ(ok.finish().size(), kHeaderSize + 0xFFFC);
  data.resize(data.size() + 1);  // pads past what the length field can say
  MessageBuilder big(buf, Method::kSend, Class::kIndication, kTid);
  big.add(attr::Data{data});
  EXPECT_TRUE(big.finish().empty());
}

TEST(StunMessage, LooksLikeStun) {
  std::array<std::uint8_t, 64> buf{};
  MessageBuilder b(buf, Method::kBinding, Class::kRequest, kTid);
  Bytes msg = b.finish();
  EXPECT_TRUE(looks_like_stun(msg));
  EXPECT_FALSE(looks_like_stun(msg.first(19)));
  testing::Buffer cd = testing::hex("40 00 00 10 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
  EXPECT_FALSE(looks_like_stun(bytes_of(cd)));
  testing::Buffer longer(msg.begin(), msg.end());
  longer.resize(24);
  EXPECT_FALSE(looks_like_stun(bytes_of(longer)));
}

}  // namespace
}  // namespace ferry::stun
