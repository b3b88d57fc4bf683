// Out-of-line parts of the typed attributes (attributes.h, turn_attributes.h): the shared
// address, integer and error-code encodings, and the list-valued attributes.
#include "ferry/stun/attributes.h"

#include <algorithm>
#include <cstring>

namespace ferry::stun::attr {

namespace detail {

namespace {

constexpr std::uint8_t kWireV4 = 0x01;  // RFC 8489 §14.1 family codes
constexpr std::uint8_t kWireV6 = 0x02;

// RFC 8489 §14.2: the XOR key is the magic cookie followed by the transaction id; IPv4 uses its
// first 4 bytes, IPv6 all 16, the port the cookie's most significant 16 bits.
std::array<std::uint8_t, 16> xor_key(const TransactionId& tid) {
  std::array<std::uint8_t, 16> key{};
  store_be32(key.data(), kMagicCookie);
  std::memcpy(key.data() + 4, tid.data(), tid.size());
  return key;
}

}  // namespace

Result<Address> parse_address(Bytes value, const TransactionId* xor_tid) {
  // RFC 8489 §14.1: 1 reserved byte (ignored), family, port, then 4 or 16 address bytes. Any
  // other length or family is malformed.
  if (value.size() != 8 && value.size() != 20) return Error{"STUN address has a bad length"};
  const std::uint8_t family = value[1];
  const std::size_t ip_len = value.size() - 4;
  if ((family == kWireV4 && ip_len != 4) || (family == kWireV6 && ip_len != 16) ||
      (family != kWireV4 && family != kWireV6)) {
    return Error{"STUN address has a bad family"};
  }
  std::uint16_t port = load_be16(&value[2]);
  std::array<std::uint8_t, 16> ip{};
  std::memcpy(ip.data(), &value[4], ip_len);
  if (xor_tid != nullptr) {
    const auto key = xor_key(*xor_tid);
    port ^= static_cast<std::uint16_t>(kMagicCookie >> 16);
    for (std::size_t i = 0; i < ip_len; ++i) ip[i] ^= key[i];
  }
  return Address::from_bytes(Bytes(ip.data(), ip_len), port);
}

void write_address(Writer& w, const Address& a, const TransactionId* xor_tid) {
  if (a.empty()) return fail(w);
  std::array<std::uint8_t, 16> ip = a.raw();
  std::uint16_t port = a.port();
  if (xor_tid != nullptr) {
    const auto key = xor_key(*xor_tid);
    port ^= static_cast<std::uint16_t>(kMagicCookie >> 16);
    for (std::size_t i = 0; i < a.ip_len(); ++i) ip[i] ^= key[i];
  }
  w.u8(0);
  w.u8(a.is_v4() ? kWireV4 : kWireV6);
  w.u16(port);
  w.bytes(Bytes(ip.data(), a.ip_len()));
}

Result<std::uint32_t> parse_u32(Bytes value) {
  if (value.size() != 4) return Error{"STUN attribute is not 4 bytes"};
  return load_be32(value.data());
}

Result<std::uint64_t> parse_u64(Bytes value) {
  if (value.size() != 8) return Error{"STUN attribute is not 8 bytes"};
  return (std::uint64_t{load_be32(value.data())} << 32) | load_be32(value.data() + 4);
}

Result<ErrorFields> parse_error_fields(Bytes value) {
  // RFC 8489 §14.8: 21 reserved bits, a 3-bit class (hundreds), an 8-bit number (0..99).
  if (value.size() < 4) return Error{"STUN error code too short"};
  if (value.size() - 4 > kMaxTextDecode) return Error{"STUN reason phrase too long"};
  const unsigned cls = value[2] & 0x07;
  const unsigned number = value[3];
  if (number > 99 || cls < 3 || cls > 6) return Error{"STUN error code out of range"};
  return ErrorFields{value[0], static_cast<std::uint16_t>(cls * 100 + number),
                     as_string(value.subspan(4))};
}

void write_error_fields(Writer& w, const ErrorFields& f) {
  if (f.code < 300 || f.code > 699 || f.reason.size() > kMaxTextEncode) return fail(w);
  w.u8(f.first);
  w.u8(0);
  w.u8(static_cast<std::uint8_t>(f.code / 100));
  w.u8(static_cast<std::uint8_t>(f.code % 100));
  w.bytes(as_bytes(f.reason));
}

Result<Family> parse_family(Bytes value) {
  // RFC 8656 §18.10: family byte then 3 RFFU bytes (ignored on receipt).
  if (value.size() != 4) return Error{"STUN address family is not 4 bytes"};
  if (value[0] == kWireV4) return Family::kV4;
  if (value[0] == kWireV6) return Family::kV6;
  return Error{"STUN address family unsupported"};
}

void write_family(Writer& w, Family f) {
  switch (f) {
    case Family::kV4:
      w.u8(kWireV4);
      break;
    case Family::kV6:
      w.u8(kWireV6);
      break;
    case Family::kNone:
      return fail(w);
  }
  w.zeros(3);
}

}  // namespace detail

Result<UnknownAttributes> UnknownAttributes::parse(Bytes v, const TransactionId&) {
  // RFC 8489 §14.13: a list of 16-bit types; an odd length cannot be one.
  if (v.size() % 2 != 0) return Error{"STUN UNKNOWN-ATTRIBUTES has an odd length"};
  UnknownAttributes u;
  for (std::size_t i = 0; i + 1 < v.size(); i += 2) {
    if (!u.push(load_be16(&v[i]))) break;  // keep the first kCapacity
  }
  return u;
}

void UnknownAttributes::write_value(Writer& w, const TransactionId&) const {
  for (std::uint16_t t : list()) w.u16(t);
}

Result<PasswordAlgorithm> PasswordAlgorithm::parse(Bytes v, const TransactionId&) {
  // RFC 8489 §14.12: algorithm, parameters length, parameters.
  Reader r(v);
  PasswordAlgorithm a;
  a.algorithm = r.u16();
  const std::uint16_t len = r.u16();
  a.params = r.bytes(len);
  if (!r.ok()) return Error{"STUN PASSWORD-ALGORITHM overruns its value"};
  return a;
}

void PasswordAlgorithm::write_value(Writer& w, const TransactionId&) const {
  if (params.size() > 0xFFFF) return detail::fail(w);
  w.u16(algorithm);
  w.u16(static_cast<std::uint16_t>(params.size()));
  w.bytes(params);
}

Result<PasswordAlgorithms> PasswordAlgorithms::parse(Bytes v, const TransactionId&) {
  // RFC 8489 §14.11: entries of algorithm, parameters length and parameters padded to 4.
  Reader r(v);
  PasswordAlgorithms list;
  while (r.remaining() > 0) {
    PasswordAlgorithm a;
    a.algorithm = r.u16();
    const std::uint16_t len = r.u16();
    a.params = r.bytes(len);
    // The last entry's padding may be the attribute's own padding, outside the value.
    r.skip(std::min<std::size_t>(r.remaining(), (4 - len % 4) % 4));
    if (!r.ok()) return Error{"STUN PASSWORD-ALGORITHMS overruns its value"};
    list.push(a);
  }
  return list;
}

std::size_t PasswordAlgorithms::value_size() const {
  std::size_t n = 0;
  for (const auto& a : list()) n += 4 + (a.params.size() + 3) / 4 * 4;
  return n;
}

void PasswordAlgorithms::write_value(Writer& w, const TransactionId& tid) const {
  for (const auto& a : list()) {
    a.write_value(w, tid);
    w.zeros((4 - a.params.size() % 4) % 4);
  }
}

Result<AddressErrorCode> AddressErrorCode::parse(Bytes v, const TransactionId&) {
  auto f = detail::parse_error_fields(v);
  if (!f) return f.error();
  Family family = Family::kNone;
  if (f->first == 0x01) family = Family::kV4;
  if (f->first == 0x02) family = Family::kV6;
  if (family == Family::kNone) return Error{"STUN ADDRESS-ERROR-CODE has a bad family"};
  return AddressErrorCode{family, f->code, f->reason};
}

void AddressErrorCode::write_value(Writer& w, const TransactionId&) const {
  switch (family) {
    case Family::kV4:
      return detail::write_error_fields(w, {0x01, code, reason});
    case Family::kV6:
      return detail::write_error_fields(w, {0x02, code, reason});
    case Family::kNone:
      return detail::fail(w);
  }
}

}  // namespace ferry::stun::attr
