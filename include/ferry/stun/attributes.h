// Typed STUN attributes (DESIGN.md convention 4): small values with
//   static constexpr std::uint16_t kType;
//   static Result<T> parse(Bytes value, const TransactionId& tid);
//   std::size_t value_size() const;
//   void write_value(Writer& w, const TransactionId& tid) const;
// used through MessageView::get<T>() and MessageBuilder::add(T{...}). Values that point into
// a message (strings, byte blobs) are views: the message buffer must outlive them.
//
// Parsing is strict about lengths and families (a malformed value reads as absent) and lenient
// where the RFCs say "ignore on receipt" (reserved bits, padding). Writing a value that cannot
// be encoded (an empty address, a string over the RFC's encoding limit, an ERROR-CODE outside
// 300..699) fails the whole message: MessageBuilder::ok() turns false and finish() is empty.
//
// This header covers RFC 8489 (STUN), RFC 3489's classic address attributes, ICE (RFC 8445) and
// RFC 5780 (NAT behaviour discovery); turn_attributes.h, included below, covers RFC 8656
// (TURN), RFC 6062 (TCP relay) and RFC 8016 (mobility).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>

#include "ferry/common/address.h"
#include "ferry/common/bytes.h"
#include "ferry/common/result.h"
#include "ferry/stun/error_code.h"
#include "ferry/stun/message.h"

namespace ferry::stun {

// True for every attribute type this codec knows (has a typed value for, or writes itself):
// MessageView::unknown_required() reports the others below 0x8000 for a 420 (RFC 8489 §14).
bool is_known_attribute(std::uint16_t type);
// "XOR-MAPPED-ADDRESS", ...; "UNKNOWN" for types this codec does not know (diagnostics).
std::string_view attribute_name(std::uint16_t type);

namespace attr {

namespace detail {

// Sets the writer's sticky error without writing: the value cannot be encoded.
inline void fail(Writer& w) {
  w.fail();
}

// RFC 8489 §14.1/§14.2: the (XOR-)MAPPED-ADDRESS layout. xor_tid null: plain address.
Result<Address> parse_address(Bytes value, const TransactionId* xor_tid);
void write_address(Writer& w, const Address& a, const TransactionId* xor_tid);

Result<std::uint32_t> parse_u32(Bytes value);
Result<std::uint64_t> parse_u64(Bytes value);

// RFC 8489 §14.8 class/number encoding shared by ERROR-CODE and ADDRESS-ERROR-CODE: `first`
// is the value's first byte (reserved in ERROR-CODE, the family in ADDRESS-ERROR-CODE).
struct ErrorFields {
  std::uint8_t first = 0;
  std::uint16_t code = 0;
  std::string_view reason;
};
Result<ErrorFields> parse_error_fields(Bytes value);
void write_error_fields(Writer& w, const ErrorFields& f);

}  // namespace detail

// Reason phrases, REALM, NONCE, SOFTWARE: "fewer than 128 characters (which can be as long as
// 509 bytes when encoding them or 763 bytes when decoding them)" (RFC 8489 §14.8-14.10, §14.14).
inline constexpr std::size_t kMaxTextEncode = 509;
inline constexpr std::size_t kMaxTextDecode = 763;

// Address attributes: MAPPED-ADDRESS layout (RFC 8489 §14.1), XOR-ed when kXor (§14.2: the port
// with the cookie's top half, IPv4 with the cookie, IPv6 with cookie + transaction id).
template <std::uint16_t kTypeValue, bool kXor>
struct AddressAttribute {
  static constexpr std::uint16_t kType = kTypeValue;
  Address address;

  static Result<AddressAttribute> parse(Bytes value, const TransactionId& tid) {
    auto a = detail::parse_address(value, kXor ? &tid : nullptr);
    if (!a) return a.error();
    return AddressAttribute{*a};
  }
  std::size_t value_size() const { return 4 + address.ip_len(); }
  void write_value(Writer& w, const TransactionId& tid) const {
    detail::write_address(w, address, kXor ? &tid : nullptr);
  }
};

using MappedAddress = AddressAttribute<0x0001, false>;     // RFC 8489 §14.1
using ResponseAddress = AddressAttribute<0x0002, false>;   // RFC 3489 §11.2.2 (ignored today)
using SourceAddress = AddressAttribute<0x0004, false>;     // RFC 3489 §11.2.5
using ChangedAddress = AddressAttribute<0x0005, false>;    // RFC 3489 §11.2.3
using ReflectedFrom = AddressAttribute<0x000B, false>;     // RFC 3489 §11.2.11
using XorPeerAddress = AddressAttribute<0x0012, true>;     // RFC 8656 §18.3
using XorRelayedAddress = AddressAttribute<0x0016, true>;  // RFC 8656 §18.5
using XorMappedAddress = AddressAttribute<0x0020, true>;   // RFC 8489 §14.2
using AlternateServer = AddressAttribute<0x8023, false>;   // RFC 8489 §14.15
using ResponseOrigin = AddressAttribute<0x802B, false>;    // RFC 5780 §7.3
using OtherAddress = AddressAttribute<0x802C, false>;      // RFC 5780 §7.4

// UTF-8 text. kMaxDecode bounds what parse accepts, kMaxEncode what write_value emits.
template <std::uint16_t kTypeValue, std::size_t kMaxDecode, std::size_t kMaxEncode>
struct TextAttribute {
  static constexpr std::uint16_t kType = kTypeValue;
  std::string_view value;

  static Result<TextAttribute> parse(Bytes v, const TransactionId&) {
    if (v.size() > kMaxDecode) return Error{"STUN text attribute too long"};
    return TextAttribute{as_string(v)};
  }
  std::size_t value_size() const { return value.size(); }
  void write_value(Writer& w, const TransactionId&) const {
    if (value.size() > kMaxEncode) return detail::fail(w);
    w.bytes(as_bytes(value));
  }
};

// RFC 8489 §14.3: fewer than 509 bytes when sent; 763 or fewer must parse (RFC 5389 compat).
using Username = TextAttribute<0x0006, kMaxTextDecode, 508>;
using Realm = TextAttribute<0x0014, kMaxTextDecode, kMaxTextEncode>;     // §14.9
using Nonce = TextAttribute<0x0015, kMaxTextDecode, kMaxTextEncode>;     // §14.10
using Software = TextAttribute<0x8022, kMaxTextDecode, kMaxTextEncode>;  // §14.14
// RFC 8489 §14.16: a DNS name of 255 or fewer ASCII characters.
using AlternateDomain = TextAttribute<0x8003, 255, 255>;
// ORIGIN (draft-ietf-tram-stun-origin; coturn's realm selection): the web origin the client
// works for, comprehension-optional. Read raw by the core (a longer value is not mapped).
using Origin = TextAttribute<0x802F, kMaxTextDecode, kMaxTextEncode>;

// Opaque bytes.
template <std::uint16_t kTypeValue>
struct BytesAttribute {
  static constexpr std::uint16_t kType = kTypeValue;
  Bytes value;

  static Result<BytesAttribute> parse(Bytes v, const TransactionId&) { return BytesAttribute{v}; }
  std::size_t value_size() const { return value.size(); }
  void write_value(Writer& w, const TransactionId&) const { w.bytes(value); }
};

// Flags: no value part (the length is 0).
template <std::uint16_t kTypeValue>
struct FlagAttribute {
  static constexpr std::uint16_t kType = kTypeValue;

  static Result<FlagAttribute> parse(Bytes v, const TransactionId&) {
    if (!v.empty()) return Error{"STUN flag attribute has a value"};
    return FlagAttribute{};
  }
  std::size_t value_size() const { return 0; }
  void write_value(Writer&, const TransactionId&) const {}
};

// RFC 8489 §14.8. The class (3..6) and number (0..99) encode `code`; anything else is rejected.
struct ErrorCode {
  static constexpr std::uint16_t kType = 0x0009;
  std::uint16_t code = 0;
  std::string_view reason;

  // The attribute for one of the codes Ferry sends, with its standard phrase.
  static constexpr ErrorCode of(stun::ErrorCode c) { return {number(c), reason_phrase(c)}; }

  static Result<ErrorCode> parse(Bytes v, const TransactionId&) {
    auto f = detail::parse_error_fields(v);
    if (!f) return f.error();
    return ErrorCode{f->code, f->reason};
  }
  std::size_t value_size() const { return 4 + reason.size(); }
  void write_value(Writer& w, const TransactionId&) const {
    detail::write_error_fields(w, {0, code, reason});
  }
};

// RFC 8489 §14.13: the comprehension-required types a 420 response did not understand. Fixed
// capacity (no heap); a longer list on the wire keeps its first kCapacity entries.
struct UnknownAttributes {
  static constexpr std::uint16_t kType = 0x000A;
  static constexpr std::size_t kCapacity = 16;
  std::array<std::uint16_t, kCapacity> types{};
  std::size_t count = 0;

  bool push(std::uint16_t type) {
    if (count == kCapacity) return false;
    types[count++] = type;
    return true;
  }
  std::span<const std::uint16_t> list() const { return {types.data(), count}; }

  static Result<UnknownAttributes> parse(Bytes v, const TransactionId& tid);
  std::size_t value_size() const { return 2 * count; }
  void write_value(Writer& w, const TransactionId& tid) const;
};

// RFC 8489 §14.12: one algorithm and its parameters (MD5 and SHA-256 take none).
struct PasswordAlgorithm {
  static constexpr std::uint16_t kType = 0x001D;
  static constexpr std::uint16_t kMd5 = 0x0001;
  static constexpr std::uint16_t kSha256 = 0x0002;
  std::uint16_t algorithm = 0;
  Bytes params;

  static Result<PasswordAlgorithm> parse(Bytes v, const TransactionId& tid);
  std::size_t value_size() const { return 4 + params.size(); }
  void write_value(Writer& w, const TransactionId& tid) const;
};

// RFC 8489 §14.11: the server's algorithms in preference order, each entry's parameters padded
// to 4 bytes. Fixed capacity; a longer list keeps its first kCapacity entries.
struct PasswordAlgorithms {
  static constexpr std::uint16_t kType = 0x8002;
  static constexpr std::size_t kCapacity = 8;
  std::array<PasswordAlgorithm, kCapacity> algorithms{};
  std::size_t count = 0;

  bool push(const PasswordAlgorithm& a) {
    if (count == kCapacity) return false;
    algorithms[count++] = a;
    return true;
  }
  std::span<const PasswordAlgorithm> list() const { return {algorithms.data(), count}; }

  static Result<PasswordAlgorithms> parse(Bytes v, const TransactionId& tid);
  std::size_t value_size() const;
  void write_value(Writer& w, const TransactionId& tid) const;
};

// RFC 8489 §14.4: SHA-256(OpaqueString(username) ":" OpaqueString(realm)), exactly 32 bytes.
struct Userhash {
  static constexpr std::uint16_t kType = 0x001E;
  static constexpr std::size_t kSize = 32;
  Bytes value;

  static Result<Userhash> parse(Bytes v, const TransactionId&) {
    if (v.size() != kSize) return Error{"STUN USERHASH is not 32 bytes"};
    return Userhash{v};
  }
  std::size_t value_size() const { return value.size(); }
  void write_value(Writer& w, const TransactionId&) const {
    if (value.size() != kSize) return detail::fail(w);
    w.bytes(value);
  }
};

// RFC 8445 §16.1 (ICE): candidate priority.
struct Priority {
  static constexpr std::uint16_t kType = 0x0024;
  std::uint32_t priority = 0;

  static Result<Priority> parse(Bytes v, const TransactionId&) {
    auto n = detail::parse_u32(v);
    if (!n) return n.error();
    return Priority{*n};
  }
  std::size_t value_size() const { return 4; }
  void write_value(Writer& w, const TransactionId&) const { w.u32(priority); }
};

using UseCandidate = FlagAttribute<0x0025>;  // RFC 8445 §16.1

// RFC 8445 §16.1: ICE-CONTROLLED / ICE-CONTROLLING carry a 64-bit tie-breaker.
template <std::uint16_t kTypeValue>
struct IceRoleAttribute {
  static constexpr std::uint16_t kType = kTypeValue;
  std::uint64_t tiebreaker = 0;

  static Result<IceRoleAttribute> parse(Bytes v, const TransactionId&) {
    auto n = detail::parse_u64(v);
    if (!n) return n.error();
    return IceRoleAttribute{*n};
  }
  std::size_t value_size() const { return 8; }
  void write_value(Writer& w, const TransactionId&) const {
    w.u32(static_cast<std::uint32_t>(tiebreaker >> 32));
    w.u32(static_cast<std::uint32_t>(tiebreaker));
  }
};
using IceControlled = IceRoleAttribute<0x8029>;
using IceControlling = IceRoleAttribute<0x802A>;

// RFC 5780 §7.2: ask the server to answer from its other IP and/or port.
struct ChangeRequest {
  static constexpr std::uint16_t kType = 0x0003;
  bool change_ip = false;
  bool change_port = false;

  static Result<ChangeRequest> parse(Bytes v, const TransactionId&) {
    auto n = detail::parse_u32(v);
    if (!n) return n.error();
    return ChangeRequest{(*n & 0x4) != 0, (*n & 0x2) != 0};
  }
  std::size_t value_size() const { return 4; }
  void write_value(Writer& w, const TransactionId&) const {
    w.u32((change_ip ? 0x4u : 0u) | (change_port ? 0x2u : 0u));
  }
};

// RFC 5780 §7.5: the port to answer to; a 16-bit port then 2 bytes ignored on receipt.
struct ResponsePort {
  static constexpr std::uint16_t kType = 0x0027;
  std::uint16_t port = 0;

  static Result<ResponsePort> parse(Bytes v, const TransactionId&) {
    auto n = detail::parse_u32(v);
    if (!n) return n.error();
    return ResponsePort{static_cast<std::uint16_t>(*n >> 16)};
  }
  std::size_t value_size() const { return 4; }
  void write_value(Writer& w, const TransactionId&) const {
    w.u16(port);
    w.u16(0);
  }
};

using Padding = BytesAttribute<0x0026>;  // RFC 5780 §7.6

// RFC 5780 §9.1 registers CACHE-TIMEOUT (0x8027, seconds) without further definition.
struct CacheTimeout {
  static constexpr std::uint16_t kType = 0x8027;
  std::uint32_t seconds = 0;

  static Result<CacheTimeout> parse(Bytes v, const TransactionId&) {
    auto n = detail::parse_u32(v);
    if (!n) return n.error();
    return CacheTimeout{*n};
  }
  std::size_t value_size() const { return 4; }
  void write_value(Writer& w, const TransactionId&) const { w.u32(seconds); }
};

}  // namespace attr
}  // namespace ferry::stun

#include "ferry/stun/turn_attributes.h"  // IWYU pragma: export
