// RFC 8016 mobility tickets (DESIGN.md section 2, "no state for strangers"): a ticket carries
// what names its allocation and an HMAC-SHA256 under a key drawn from the CSPRNG at start, so
// issuing one stores nothing beside the allocation's serial, and checking one (a flood of forged
// tickets included) allocates nothing. RFC 8016 §4 leaves the ticket's form to the server; the
// client treats it as opaque.
//
// 24 bytes, sent as 32 base64url characters: coturn's client (turnutils_uclient -M) keeps a
// ticket as a C string of at most 32 characters, so a longer or binary one would not come back.
//   version (1) | owner worker (1) | allocation index (3) | serial (5) | expiry (4, seconds of
//   the steady clock) | user tag (2) | HMAC-SHA256 of the 16 bytes before, truncated (8)
// The user tag (a keyed hash of the username) tells a ticket of another user (441) from a forged
// one (400) without a lookup; the owner compares the whole username before anything moves.
// 64 bits of MAC: each guess costs an authenticated request, so 2^64 guesses are out of reach.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "ferry/common/bytes.h"
#include "ferry/common/expected.h"
#include "ferry/common/time.h"

namespace ferry::auth {

class TicketCodec {
 public:
  using Key = std::array<std::uint8_t, 32>;
  static constexpr std::uint8_t kVersion = 1;
  static constexpr std::size_t kSize = 32;  // characters on the wire
  using Ticket = std::array<std::uint8_t, kSize>;
  // What fits: worker indexes 0..255, table positions below 2^24, serials below 2^40.
  static constexpr std::uint32_t kMaxIndex = (1u << 24) - 1;
  static constexpr std::uint64_t kMaxSerial = (std::uint64_t{1} << 40) - 1;

  struct Fields {
    std::uint16_t worker = 0;    // the worker whose table holds the allocation
    std::uint32_t index = 0;     // its place there
    std::uint64_t serial = 0;    // changes whenever a ticket is issued: older tickets die
    TimePoint expires;           // the allocation's lifetime when issued (whole seconds, down)
    std::uint16_t user_tag = 0;  // user_tag() of the allocation's username
  };

  explicit TicketCodec(const Key& key) : key_(key) {}
  // A key from the CSPRNG; none, no start (a guessable key would let anyone forge tickets).
  static Expected<TicketCodec> with_random_key();

  // The ticket; nullopt when a field does not fit (no ticket is issued then) or the HMAC fails.
  std::optional<Ticket> make(const Fields& f) const;
  // The fields of a ticket this key made (the MAC compared in constant time), nullopt for any
  // other bytes. Expiry is the caller's to check against its `now`.
  std::optional<Fields> open(Bytes ticket) const;
  std::uint16_t user_tag(std::string_view username) const;

 private:
  bool mac(Bytes body, std::uint8_t* out8) const;
  Key key_;
};

}  // namespace ferry::auth
