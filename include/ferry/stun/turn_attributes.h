// Typed attributes of RFC 8656 (TURN), RFC 6062 (TCP relay) and RFC 8016 (mobility). Same
// shape as attributes.h (which includes this header; include that one).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ferry/common/address.h"
#include "ferry/common/bytes.h"
#include "ferry/common/result.h"
#include "ferry/stun/attributes.h"
#include "ferry/stun/message.h"

namespace ferry::stun::attr {

namespace detail {
// REQUESTED-/ADDITIONAL-ADDRESS-FAMILY: a family byte and 3 reserved bytes.
Result<Family> parse_family(Bytes value);
void write_family(Writer& w, Family f);
}  // namespace detail

// RFC 8656 §18.2: seconds until the allocation expires (0 in a Refresh deletes it).
struct Lifetime {
  static constexpr std::uint16_t kType = 0x000D;
  std::uint32_t seconds = 0;

  static Result<Lifetime> parse(Bytes v, const TransactionId&) {
    auto n = detail::parse_u32(v);
    if (!n) return n.error();
    return Lifetime{*n};
  }
  std::size_t value_size() const { return 4; }
  void write_value(Writer& w, const TransactionId&) const { w.u32(seconds); }
};

// RFC 8656 §18.1: the channel number and 2 RFFU bytes (sent as 0, ignored on receipt). The
// 0x4000..0x4FFF range is checked by the server (400), not here: parse keeps what was sent.
struct ChannelNumber {
  static constexpr std::uint16_t kType = 0x000C;
  std::uint16_t number = 0;

  static Result<ChannelNumber> parse(Bytes v, const TransactionId&) {
    auto n = detail::parse_u32(v);
    if (!n) return n.error();
    return ChannelNumber{static_cast<std::uint16_t>(*n >> 16)};
  }
  std::size_t value_size() const { return 4; }
  void write_value(Writer& w, const TransactionId&) const {
    w.u16(number);
    w.u16(0);
  }
};

using Data = BytesAttribute<0x0013>;  // RFC 8656 §18.4: the application payload

// RFC 8656 §18.6: the relay's transport, an IANA protocol number and 3 RFFU bytes. Any number
// parses; the server answers an unsupported one with 442.
struct RequestedTransport {
  static constexpr std::uint16_t kType = 0x0019;
  static constexpr std::uint8_t kTcp = 6;
  static constexpr std::uint8_t kUdp = 17;
  std::uint8_t protocol = 0;

  static Result<RequestedTransport> parse(Bytes v, const TransactionId&) {
    auto n = detail::parse_u32(v);
    if (!n) return n.error();
    return RequestedTransport{static_cast<std::uint8_t>(*n >> 24)};
  }
  std::size_t value_size() const { return 4; }
  void write_value(Writer& w, const TransactionId&) const {
    w.u8(protocol);
    w.zeros(3);
  }
};

// RFC 8656 §18.10. Only IPv4 (0x01) and IPv6 (0x02) parse: a present attribute that get<>()
// cannot read (has<>() true, get<>() empty) carries an unknown family, which RFC 8656 §7.2
// answers with 440.
struct RequestedAddressFamily {
  static constexpr std::uint16_t kType = 0x0017;
  Family family = Family::kNone;

  static Result<RequestedAddressFamily> parse(Bytes v, const TransactionId&) {
    auto f = detail::parse_family(v);
    if (!f) return f.error();
    return RequestedAddressFamily{*f};
  }
  std::size_t value_size() const { return 4; }
  void write_value(Writer& w, const TransactionId&) const { detail::write_family(w, family); }
};

// RFC 8656 §18.11: ask for a second (IPv6) relayed address. IPv4 parses too: the server
// answers it with 400 (§7.2), which needs to see it.
struct AdditionalAddressFamily {
  static constexpr std::uint16_t kType = 0x8000;
  Family family = Family::kNone;

  static Result<AdditionalAddressFamily> parse(Bytes v, const TransactionId&) {
    auto f = detail::parse_family(v);
    if (!f) return f.error();
    return AdditionalAddressFamily{*f};
  }
  std::size_t value_size() const { return 4; }
  void write_value(Writer& w, const TransactionId&) const { detail::write_family(w, family); }
};

// RFC 8656 §18.12: why one family of a dual allocation failed (440 or 508). The family byte,
// then ERROR-CODE's class/number encoding and reason phrase.
struct AddressErrorCode {
  static constexpr std::uint16_t kType = 0x8001;
  Family family = Family::kNone;
  std::uint16_t code = 0;
  std::string_view reason;

  static constexpr AddressErrorCode of(Family f, stun::ErrorCode c) {
    return {f, number(c), reason_phrase(c)};
  }

  static Result<AddressErrorCode> parse(Bytes v, const TransactionId& tid);
  std::size_t value_size() const { return 4 + reason.size(); }
  void write_value(Writer& w, const TransactionId& tid) const;
};

// RFC 8656 §18.7: one byte, the R bit asks to reserve the next-higher port too.
struct EvenPort {
  static constexpr std::uint16_t kType = 0x0018;
  bool reserve = false;

  static Result<EvenPort> parse(Bytes v, const TransactionId&) {
    if (v.size() != 1) return Error{"STUN EVEN-PORT is not 1 byte"};
    return EvenPort{(v[0] & 0x80) != 0};
  }
  std::size_t value_size() const { return 1; }
  void write_value(Writer& w, const TransactionId&) const { w.u8(reserve ? 0x80 : 0x00); }
};

using DontFragment = FlagAttribute<0x001A>;  // RFC 8656 §18.8

// RFC 8656 §18.9: an 8-byte token naming a port reserved by an earlier EVEN-PORT.
struct ReservationToken {
  static constexpr std::uint16_t kType = 0x0022;
  std::array<std::uint8_t, 8> token{};

  static Result<ReservationToken> parse(Bytes v, const TransactionId&) {
    if (v.size() != 8) return Error{"STUN RESERVATION-TOKEN is not 8 bytes"};
    ReservationToken t;
    for (std::size_t i = 0; i < 8; ++i) t.token[i] = v[i];
    return t;
  }
  std::size_t value_size() const { return 8; }
  void write_value(Writer& w, const TransactionId&) const { w.bytes(token); }
};

// RFC 8656 §18.13: the ICMP error a peer's packet caused, in a Data indication: 2 reserved
// bytes, ICMP type and code, 4 bytes of error data (the next-hop MTU for "too big").
struct Icmp {
  static constexpr std::uint16_t kType = 0x8004;
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  std::uint32_t data = 0;

  static Result<Icmp> parse(Bytes v, const TransactionId&) {
    if (v.size() != 8) return Error{"STUN ICMP is not 8 bytes"};
    return Icmp{v[2], v[3], load_be32(&v[4])};
  }
  std::size_t value_size() const { return 8; }
  void write_value(Writer& w, const TransactionId&) const {
    w.u16(0);
    w.u8(type);
    w.u8(code);
    w.u32(data);
  }
};

// RFC 6062 §6.2.1: names a peer TCP connection for ConnectionBind.
struct ConnectionId {
  static constexpr std::uint16_t kType = 0x002A;
  std::uint32_t id = 0;

  static Result<ConnectionId> parse(Bytes v, const TransactionId&) {
    auto n = detail::parse_u32(v);
    if (!n) return n.error();
    return ConnectionId{*n};
  }
  std::size_t value_size() const { return 4; }
  void write_value(Writer& w, const TransactionId&) const { w.u32(id); }
};

using MobilityTicket = BytesAttribute<0x8030>;  // RFC 8016 §3.1: opaque to the client

}  // namespace ferry::stun::attr
