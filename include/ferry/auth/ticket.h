// RFC 8016 mobility tickets (DESIGN.md section 2, "no state for strangers"): a ticket carries
// what names its allocation and an HMAC-SHA256 under a key drawn from the CSPRNG at start, so
// issuing one stores nothing beside the allocation's serial, and checking one (a flood of forged
// tickets included) allocates nothing. RFC 8016 §4 leaves the ticket's form to the server; the
// client treats it as opaque.
//
// Layout: version (1) | owner worker (2) | allocation index (4) | serial (8) | expiry (8, the
// TimePoint's ticks) | username length (2) | username | HMAC-SHA256 of all before it (32).
// Not encrypted: what it shows (a username the client sends in clear anyway, table positions)
// gives nothing to someone who cannot also pass MESSAGE-INTEGRITY as that user.
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
  static constexpr std::size_t kMacSize = 32;
  static constexpr std::size_t kFixedSize = 1 + 2 + 4 + 8 + 8 + 2;
  // RFC 8489 §14.3: USERNAME is under 509 bytes.
  static constexpr std::size_t kMaxUsername = 512;
  static constexpr std::size_t kMaxSize = kFixedSize + kMaxUsername + kMacSize;

  struct Fields {
    std::uint16_t worker = 0;   // the worker whose table holds the allocation
    std::uint32_t index = 0;    // its place there
    std::uint64_t serial = 0;   // changes whenever a ticket is issued: older tickets die
    TimePoint expires;          // the allocation's lifetime when the ticket was issued
    std::string_view username;  // the allocation's user (a view into the ticket)
  };

  explicit TicketCodec(const Key& key) : key_(key) {}
  // A key from the CSPRNG; none, no start (a guessable key would let anyone forge tickets).
  static Expected<TicketCodec> with_random_key();

  // Writes the ticket into `out` (at least kMaxSize bytes); its length, 0 when the username is
  // too long or the HMAC fails.
  std::size_t make(const Fields& f, std::span<std::uint8_t, kMaxSize> out) const;
  // The fields of a ticket this key made (the MAC compared in constant time), nullopt for any
  // other bytes. Expiry is the caller's to check against its `now`.
  std::optional<Fields> open(Bytes ticket) const;

 private:
  Key key_;
};

}  // namespace ferry::auth
