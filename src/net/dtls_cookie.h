// DTLS's stateless cookie (RFC 6347 §4.2.1): before a server keeps anything for a DTLS client
// it answers the ClientHello with a HelloVerifyRequest carrying a cookie, and only a
// ClientHello that echoes it, from the same address and port, starts a session. A spoofed
// source never sees its cookie, so it can make the server hold nothing and send only one
// datagram no larger than the one it sent.
//
// The cookie is HMAC-SHA256(secret, window || client address || port), truncated to 16 bytes;
// a cookie of the current or the previous 64-second window is accepted, so a cookie does not
// stay valid for ever and a client that is slow to answer is not refused. Pure: time is an
// argument.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "ferry/common/address.h"
#include "ferry/common/expected.h"
#include "ferry/common/time.h"

namespace ferry::net {

class CookieJar {
 public:
  using Key = std::array<std::uint8_t, 32>;
  static constexpr std::size_t kSize = 16;
  static constexpr std::int64_t kWindowSeconds = 64;

  explicit CookieJar(const Key& key) : key_(key) {}
  static Expected<CookieJar> with_random_key();

  // Writes kSize bytes to `out`.
  void make(const Address& client, TimePoint now, std::uint8_t* out) const;
  bool check(const Address& client, TimePoint now, const std::uint8_t* cookie,
             std::size_t size) const;

 private:
  void make_for(const Address& client, std::int64_t window, std::uint8_t* out) const;
  Key key_;
};

}  // namespace ferry::net
