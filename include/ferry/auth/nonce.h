// Stateless nonces (DESIGN.md section 2, "no state for strangers"): a nonce carries its own
// expiry and an HMAC binding it to the client's IP, so issuing one stores nothing and a flood of
// unauthenticated requests allocates nothing. RFC 8489 §9.2 leaves the nonce's form to the server.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "ferry/common/address.h"
#include "ferry/common/expected.h"
#include "ferry/common/time.h"

namespace ferry::auth {

class NonceCodec {
 public:
  static constexpr std::size_t kLength = 48;  // 16 hex digits of expiry + 32 of HMAC
  using Nonce = std::array<char, kLength>;
  using Key = std::array<std::uint8_t, 32>;

  explicit NonceCodec(const Key& key) : key_(key) {}
  // A key from the CSPRNG (CONFORMANCE.md: nonces come from a CSPRNG-keyed HMAC).
  static Expected<NonceCodec> with_random_key();

  // A nonce for `client` valid until now + lifetime.
  Nonce make(const Address& client, TimePoint now, Seconds lifetime) const;

  enum class Verdict { kValid, kStale, kInvalid };
  // kStale: genuine but expired; kInvalid: not one of ours, or issued to another address.
  // The core answers both with 438 and a fresh nonce (RFC 8489 §9.2.4: "no longer valid").
  Verdict check(std::string_view nonce, const Address& client, TimePoint now) const;

 private:
  void tag(std::uint64_t expiry, const Address& client, char* out32) const;
  Key key_;
};

inline std::string_view as_view(const NonceCodec::Nonce& n) {
  return {n.data(), n.size()};
}

}  // namespace ferry::auth
