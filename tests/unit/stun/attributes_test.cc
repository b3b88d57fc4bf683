// Every typed attribute: round trip through MessageBuilder and MessageView, value_size() equal
// to what write_value() writes, wire bytes where the RFC fixes them, and rejected values.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <tuple>

#include "ferry/stun/attributes.h"
#include "ferry/stun/message.h"
#include "test_util.h"

namespace ferry::stun {
namespace {

using testing::Buffer;
using testing::hex;
using testing::to_hex;

const TransactionId kTid{0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

class StunAttributes : public ::testing::Test {
 protected:
  // Builds a message holding `a`, parses it, checks the value's size, returns get<A>() (whose
  // views point into buf_).
  template <class A>
  A round_trip(const A& a) {
    MessageBuilder b(buf_, Method::kAllocate, Class::kRequest, kTid);
    b.add(a);
    Bytes out = b.finish();
    EXPECT_FALSE(out.empty());
    auto m = MessageView::parse(out);
    EXPECT_TRUE(m);
    if (!m) return A{};
    auto raw = m->find(A::kType);
    EXPECT_TRUE(raw);
    EXPECT_EQ(raw->value.size(), a.value_size());
    wire_ = Buffer(raw->value.begin(), raw->value.end());
    auto got = m->get<A>();
    EXPECT_TRUE(got);
    return got ? *got : A{};
  }

  // get<A>() of a message carrying `value` raw.
  template <class A>
  std::optional<A> parse_raw(const Buffer& value) {
    MessageBuilder b(buf_, Method::kAllocate, Class::kRequest, kTid);
    b.add_raw(A::kType, testing::bytes_of(value));
    auto m = MessageView::parse(b.finish());
    EXPECT_TRUE(m);
    return m ? m->get<A>() : std::nullopt;
  }

  std::array<std::uint8_t, 4096> buf_{};
  Buffer wire_;  // the value bytes of the last round trip
};

TEST_F(StunAttributes, AddressesRoundTripForBothFamilies) {
  const Address v4 = *Address::parse_endpoint("203.0.113.7:1");
  const Address v6 = *Address::parse_endpoint("[2001:db8::1:2]:65535");
  auto both = [&](auto make) {
    using A = decltype(make(v4));
    for (const Address& a : {v4, v6}) {
      EXPECT_EQ(round_trip(A{a}).address, a) << attribute_name(A::kType);
    }
  };
  both([](const Address& a) { return attr::MappedAddress{a}; });
  both([](const Address& a) { return attr::ResponseAddress{a}; });
  both([](const Address& a) { return attr::SourceAddress{a}; });
  both([](const Address& a) { return attr::ChangedAddress{a}; });
  both([](const Address& a) { return attr::ReflectedFrom{a}; });
  both([](const Address& a) { return attr::XorPeerAddress{a}; });
  both([](const Address& a) { return attr::XorRelayedAddress{a}; });
  both([](const Address& a) { return attr::XorMappedAddress{a}; });
  both([](const Address& a) { return attr::AlternateServer{a}; });
  both([](const Address& a) { return attr::ResponseOrigin{a}; });
  both([](const Address& a) { return attr::OtherAddress{a}; });
}

TEST_F(StunAttributes, AddressWireFormats) {
  const Address a = *Address::parse_endpoint("192.0.2.1:32853");
  round_trip(attr::MappedAddress{a});
  EXPECT_EQ(to_hex(testing::bytes_of(wire_)), "00018055c0000201");
  round_trip(attr::XorPeerAddress{a});  // RFC 5769 §2.2's XOR value
  EXPECT_EQ(to_hex(testing::bytes_of(wire_)), "0001a147e112a643");
  // The reserved first byte is ignored on receipt (RFC 8489 §14.1).
  EXPECT_EQ(parse_raw<attr::MappedAddress>(hex("ff 01 80 55 c0 00 02 01"))->address, a);
}

TEST_F(StunAttributes, TextAttributesAndTheirLimits) {
  EXPECT_EQ(round_trip(attr::Username{"alice"}).value, "alice");
  EXPECT_EQ(round_trip(attr::Realm{"example.org"}).value, "example.org");
  EXPECT_EQ(round_trip(attr::Nonce{"n0nc3"}).value, "n0nc3");
  EXPECT_EQ(round_trip(attr::Software{"Ferry 0.1"}).value, "Ferry 0.1");
  EXPECT_EQ(round_trip(attr::AlternateDomain{"turn.example.org"}).value, "turn.example.org");
  EXPECT_EQ(round_trip(attr::Software{""}).value, "");
  // RFC 8489 §14.3, §14.9, §14.10, §14.14: 763 bytes must parse, more is malformed.
  const Buffer max(763, 'a');
  const Buffer over(764, 'a');
  EXPECT_TRUE(parse_raw<attr::Username>(max));
  EXPECT_FALSE(parse_raw<attr::Username>(over));
  EXPECT_TRUE(parse_raw<attr::Realm>(max));
  EXPECT_FALSE(parse_raw<attr::Realm>(over));
  EXPECT_TRUE(parse_raw<attr::Nonce>(max));
  EXPECT_FALSE(parse_raw<attr::Nonce>(over));
  EXPECT_TRUE(parse_raw<attr::Software>(max));
  EXPECT_FALSE(parse_raw<attr::Software>(over));
  EXPECT_TRUE(parse_raw<attr::AlternateDomain>(Buffer(255, 'd')));
  EXPECT_FALSE(parse_raw<attr::AlternateDomain>(Buffer(256, 'd')));
  // Encoding limits: USERNAME fewer than 509 bytes, the others up to 509.
  EXPECT_EQ(round_trip(attr::Username{std::string(508, 'u')}).value.size(), 508u);
  EXPECT_EQ(round_trip(attr::Nonce{std::string(509, 'n')}).value.size(), 509u);
}

TEST_F(StunAttributes, ErrorCode) {
  auto e = round_trip(attr::ErrorCode{438, "Stale Nonce"});
  EXPECT_EQ(e.code, 438);
  EXPECT_EQ(e.reason, "Stale Nonce");
  EXPECT_EQ(to_hex(testing::bytes_of(wire_).first(4)), "00000426");  // class 4, number 38
  EXPECT_EQ(round_trip(attr::ErrorCode{300, ""}).code, 300);
  EXPECT_EQ(round_trip(attr::ErrorCode{699, "x"}).code, 699);
  // The 21 reserved bits are ignored on receipt: class 4 (low 3 bits of 0xfc), number 20.
  EXPECT_EQ(parse_raw<attr::ErrorCode>(hex("ff ff fc 14"))->code, 420);
  EXPECT_FALSE(parse_raw<attr::ErrorCode>(hex("00 00 02 00")));  // class 2: 200 is no error
  EXPECT_FALSE(parse_raw<attr::ErrorCode>(hex("00 00 07 00")));
  EXPECT_FALSE(parse_raw<attr::ErrorCode>(hex("00 00 04 64")));  // number 100
  EXPECT_FALSE(parse_raw<attr::ErrorCode>(hex("00 00 04")));
  EXPECT_FALSE(parse_raw<attr::ErrorCode>(Buffer(4 + 764, 0x04)));
}

TEST_F(StunAttributes, ErrorCodesAndTheirPhrases) {
  // RFC 8489 §14.8 and RFC 8656 §19's suggested phrases, on the wire as ERROR-CODE.
  auto e = round_trip(attr::ErrorCode::of(stun::ErrorCode::kUnknownAttribute));
  EXPECT_EQ(e.code, 420);
  EXPECT_EQ(e.reason, "Unknown Attribute");
  EXPECT_EQ(reason_phrase(stun::ErrorCode::kStaleNonce), "Stale Nonce");
  EXPECT_EQ(reason_phrase(stun::ErrorCode::kAddressFamilyNotSupported),
            "Address Family not Supported");
  EXPECT_EQ(reason_phrase(stun::ErrorCode::kInsufficientCapacity), "Insufficient Capacity");
  EXPECT_EQ(number(stun::ErrorCode::kAllocationQuotaReached), 486);
  EXPECT_EQ(to_error_code(441), stun::ErrorCode::kWrongCredentials);
  EXPECT_FALSE(to_error_code(500));  // a code Ferry does not send
  for (stun::ErrorCode c : kErrorCodes) {
    EXPECT_EQ(to_error_code(number(c)), c);
    EXPECT_NE(reason_phrase(c), "Error");
    EXPECT_EQ(round_trip(attr::ErrorCode::of(c)).code, number(c));
  }
  auto a = attr::AddressErrorCode::of(Family::kV6, stun::ErrorCode::kAddressFamilyNotSupported);
  EXPECT_EQ(a.code, 440);
  EXPECT_EQ(a.reason, "Address Family not Supported");
}

TEST_F(StunAttributes, UnknownAttributes) {
  attr::UnknownAttributes u;
  u.push(0x7FFE);
  u.push(0x0030);
  u.push(0x0031);
  auto got = round_trip(u);
  ASSERT_EQ(got.count, 3u);
  EXPECT_EQ(got.types[0], 0x7FFE);
  EXPECT_EQ(got.types[2], 0x0031);
  EXPECT_EQ(to_hex(testing::bytes_of(wire_)), "7ffe00300031");
  EXPECT_FALSE(parse_raw<attr::UnknownAttributes>(hex("00 01 00")));
  Buffer many;
  for (int i = 0; i < 20; ++i) many.insert(many.end(), {0x00, static_cast<std::uint8_t>(i)});
  auto capped = parse_raw<attr::UnknownAttributes>(many);
  ASSERT_TRUE(capped);
  EXPECT_EQ(capped->count, attr::UnknownAttributes::kCapacity);
  for (std::size_t i = 0; i < 16; ++i) u.push(1);
  EXPECT_EQ(u.count, attr::UnknownAttributes::kCapacity);
  EXPECT_FALSE(u.push(2));
}

TEST_F(StunAttributes, TurnNumbers) {
  EXPECT_EQ(round_trip(attr::Lifetime{3600}).seconds, 3600u);
  EXPECT_EQ(to_hex(testing::bytes_of(wire_)), "00000e10");
  EXPECT_EQ(round_trip(attr::ChannelNumber{0x4001}).number, 0x4001);
  EXPECT_EQ(to_hex(testing::bytes_of(wire_)), "40010000");
  EXPECT_EQ(parse_raw<attr::ChannelNumber>(hex("40 02 ff ff"))->number, 0x4002);  // RFFU ignored
  EXPECT_EQ(round_trip(attr::RequestedTransport{attr::RequestedTransport::kUdp}).protocol, 17);
  EXPECT_EQ(to_hex(testing::bytes_of(wire_)), "11000000");
  EXPECT_EQ(parse_raw<attr::RequestedTransport>(hex("63 00 00 00"))->protocol, 99);
  EXPECT_EQ(round_trip(attr::ConnectionId{0xDEADBEEF}).id, 0xDEADBEEFu);
  EXPECT_EQ(round_trip(attr::CacheTimeout{60}).seconds, 60u);
  EXPECT_FALSE(parse_raw<attr::Lifetime>(hex("00 00 0e")));
  EXPECT_FALSE(parse_raw<attr::Lifetime>(hex("00 00 0e 10 00")));
  EXPECT_FALSE(parse_raw<attr::ChannelNumber>(hex("40 01")));
  EXPECT_FALSE(parse_raw<attr::RequestedTransport>(hex("11")));
}

TEST_F(StunAttributes, AddressFamilies) {
  EXPECT_EQ(round_trip(attr::RequestedAddressFamily{Family::kV6}).family, Family::kV6);
  EXPECT_EQ(to_hex(testing::bytes_of(wire_)), "02000000");
  EXPECT_EQ(round_trip(attr::RequestedAddressFamily{Family::kV4}).family, Family::kV4);
  EXPECT_EQ(round_trip(attr::AdditionalAddressFamily{Family::kV6}).family, Family::kV6);
  EXPECT_EQ(round_trip(attr::AdditionalAddressFamily{Family::kV4}).family, Family::kV4);
  // An unknown family: present, but unreadable (the server's cue for 440, RFC 8656 §7.2).
  EXPECT_FALSE(parse_raw<attr::RequestedAddressFamily>(hex("03 00 00 00")));
  EXPECT_FALSE(parse_raw<attr::RequestedAddressFamily>(hex("00 00 00 00")));
  EXPECT_FALSE(parse_raw<attr::RequestedAddressFamily>(hex("01")));

  auto e = round_trip(attr::AddressErrorCode{Family::kV6, 440, "Address Family not Supported"});
  EXPECT_EQ(e.family, Family::kV6);
  EXPECT_EQ(e.code, 440);
  EXPECT_EQ(e.reason, "Address Family not Supported");
  EXPECT_EQ(to_hex(testing::bytes_of(wire_).first(4)), "02000428");
  EXPECT_EQ(round_trip(attr::AddressErrorCode{Family::kV4, 508, ""}).code, 508);
  EXPECT_FALSE(parse_raw<attr::AddressErrorCode>(hex("03 00 04 28")));
  EXPECT_FALSE(parse_raw<attr::AddressErrorCode>(hex("01 00 02 28")));
}

TEST_F(StunAttributes, AllocationOptions) {
  EXPECT_TRUE(round_trip(attr::EvenPort{true}).reserve);
  EXPECT_EQ(to_hex(testing::bytes_of(wire_)), "80");
  EXPECT_FALSE(round_trip(attr::EvenPort{false}).reserve);
  EXPECT_FALSE(parse_raw<attr::EvenPort>(hex("80 00 00 00")));
  round_trip(attr::DontFragment{});
  EXPECT_TRUE(wire_.empty());
  EXPECT_FALSE(parse_raw<attr::DontFragment>(hex("00")));
  attr::ReservationToken t{{1, 2, 3, 4, 5, 6, 7, 8}};
  EXPECT_EQ(round_trip(t).token, t.token);
  EXPECT_FALSE(parse_raw<attr::ReservationToken>(hex("01 02 03 04")));
  auto icmp = round_trip(attr::Icmp{3, 4, 1400});
  EXPECT_EQ(icmp.type, 3);
  EXPECT_EQ(icmp.code, 4);
  EXPECT_EQ(icmp.data, 1400u);
  EXPECT_EQ(to_hex(testing::bytes_of(wire_)), "0000030400000578");
  EXPECT_EQ(round_trip(attr::Data{as_bytes("hello")}).value.size(), 5u);
  EXPECT_EQ(testing::to_hex(round_trip(attr::Data{}).value), "");
  EXPECT_EQ(as_string(round_trip(attr::MobilityTicket{as_bytes("ticket")}).value), "ticket");
}

TEST_F(StunAttributes, NatBehaviourDiscovery) {
  auto c = round_trip(attr::ChangeRequest{true, false});
  EXPECT_TRUE(c.change_ip);
  EXPECT_FALSE(c.change_port);
  EXPECT_EQ(to_hex(testing::bytes_of(wire_)), "00000004");
  EXPECT_TRUE(round_trip(attr::ChangeRequest{false, true}).change_port);
  EXPECT_EQ(to_hex(testing::bytes_of(wire_)), "00000002");
  EXPECT_EQ(round_trip(attr::ResponsePort{5000}).port, 5000);
  EXPECT_EQ(to_hex(testing::bytes_of(wire_)), "13880000");
  EXPECT_EQ(round_trip(attr::Padding{as_bytes("pad!pad")}).value.size(), 7u);
}

TEST_F(StunAttributes, PasswordAlgorithmsAndUserhash) {
  attr::PasswordAlgorithms list;
  list.push({attr::PasswordAlgorithm::kMd5, {}});
  list.push({attr::PasswordAlgorithm::kSha256, {}});
  list.push({0x7777, as_bytes("abc")});
  auto got = round_trip(list);
  ASSERT_EQ(got.count, 3u);
  EXPECT_EQ(got.algorithms[0].algorithm, attr::PasswordAlgorithm::kMd5);
  EXPECT_EQ(got.algorithms[1].algorithm, attr::PasswordAlgorithm::kSha256);
  EXPECT_EQ(as_string(got.algorithms[2].params), "abc");
  EXPECT_EQ(to_hex(testing::bytes_of(wire_)),
            "000100000002000077770003616263"
            "00");
  EXPECT_FALSE(parse_raw<attr::PasswordAlgorithms>(hex("00 01 00 08 00 00")));
  EXPECT_FALSE(parse_raw<attr::PasswordAlgorithms>(hex("00 01 00 00 00 02")));

  auto one = round_trip(attr::PasswordAlgorithm{attr::PasswordAlgorithm::kSha256, {}});
  EXPECT_EQ(one.algorithm, attr::PasswordAlgorithm::kSha256);
  EXPECT_EQ(to_hex(testing::bytes_of(wire_)), "00020000");
  EXPECT_FALSE(parse_raw<attr::PasswordAlgorithm>(hex("00 02 00 04 00")));

  const Buffer hash(32, 0xAB);
  EXPECT_EQ(round_trip(attr::Userhash{testing::bytes_of(hash)}).value.size(), 32u);
  EXPECT_FALSE(parse_raw<attr::Userhash>(Buffer(31, 0)));
}

TEST_F(StunAttributes, Ice) {
  EXPECT_EQ(round_trip(attr::Priority{0x6e0001ff}).priority, 0x6e0001ffu);
  EXPECT_EQ(round_trip(attr::IceControlled{0x932ff9b151263b36}).tiebreaker, 0x932ff9b151263b36u);
  EXPECT_EQ(to_hex(testing::bytes_of(wire_)), "932ff9b151263b36");
  EXPECT_EQ(round_trip(attr::IceControlling{1}).tiebreaker, 1u);
  round_trip(attr::UseCandidate{});
  EXPECT_FALSE(parse_raw<attr::IceControlling>(hex("00 00 00 01")));
}

template <class A>
void expect_known_one() {
  EXPECT_TRUE(is_known_attribute(A::kType)) << A::kType;
  EXPECT_NE(attribute_name(A::kType), "UNKNOWN") << A::kType;
}

template <class... A>
void expect_known() {
  (expect_known_one<A>(), ...);
}

TEST(StunAttributeNames, EveryTypedAttributeIsKnown) {
  using namespace attr;  // NOLINT(google-build-using-namespace)
  expect_known<MappedAddress, ResponseAddress, SourceAddress, ChangedAddress, ReflectedFrom,
               XorPeerAddress, XorRelayedAddress, XorMappedAddress, AlternateServer, ResponseOrigin,
               OtherAddress, Username, Realm, Nonce, Software, AlternateDomain, attr::ErrorCode,
               UnknownAttributes, PasswordAlgorithm, PasswordAlgorithms, Userhash, Priority,
               UseCandidate, IceControlled, IceControlling, ChangeRequest, ResponsePort, Padding,
               CacheTimeout, Lifetime, ChannelNumber, Data, RequestedTransport,
               RequestedAddressFamily, AdditionalAddressFamily, AddressErrorCode, EvenPort,
               DontFragment, ReservationToken, Icmp, ConnectionId, MobilityTicket>();
  EXPECT_TRUE(is_known_attribute(kMessageIntegrity));
  EXPECT_TRUE(is_known_attribute(kMessageIntegritySha256));
  EXPECT_TRUE(is_known_attribute(kFingerprint));
  EXPECT_EQ(attribute_name(0x0020), "XOR-MAPPED-ADDRESS");
  EXPECT_EQ(attribute_name(0x8028), "FINGERPRINT");
  EXPECT_EQ(attribute_name(0x0007), "UNKNOWN");
  EXPECT_FALSE(is_known_attribute(0x7FFE));
  EXPECT_FALSE(is_known_attribute(0x0000));
}

}  // namespace
}  // namespace ferry::stun
