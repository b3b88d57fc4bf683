// Stateless nonces (DESIGN.md section 2, "no state for strangers"): a nonce carries its own
// expiry and an HMAC binding it to the client's IP, so issuing one stores nothing and a flood of
// unauthenticated requests allocates nothing. RFC 8489 §9.2 leaves the nonce's form to the
// server, except its start: the "nonce cookie", "obMatJos2" and the base64 of the 24-bit STUN
// Security Features the server uses (§9.2, §9.2.1), which the HMAC covers too, so that a
// man in the middle cannot clear a feature bit to bid the client down.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "ferry/common/address.h"
#include "ferry/common/expected.h"
#include "ferry/common/time.h"

namespace ferry::auth {

// RFC 8489 §18.1 STUN Security Features. Bit 0 is the rightmost bit of the 24-bit set: the
// RFC's prose says leftmost, its verified erratum 6290 corrects it to rightmost, and the
// Appendix B.1 vector agrees ("obMatJos2AAAC": 0x000002, username anonymity, with USERHASH).
inline constexpr std::uint32_t kFeaturePasswordAlgorithms = 1u << 0;
inline constexpr std::uint32_t kFeatureUsernameAnonymity = 1u << 1;

// The 24 feature bits of a nonce that starts with the nonce cookie; nullopt without one.
std::optional<std::uint32_t> nonce_cookie_features(std::string_view nonce);

class NonceCodec {
 public:
  static constexpr std::string_view kCookie = "obMatJos2";
  static constexpr std::size_t kCookieLength = 13;  // "obMatJos2" + 4 base64 characters
  // The cookie, 16 hex digits of expiry, 32 of HMAC: 61 characters, under §14.10's 128.
  static constexpr std::size_t kLength = kCookieLength + 48;
  using Nonce = std::array<char, kLength>;
  using Key = std::array<std::uint8_t, 32>;

  explicit NonceCodec(const Key& key) : key_(key) {}
  // A key from the CSPRNG (CONFORMANCE.md: nonces come from a CSPRNG-keyed HMAC).
  static Expected<NonceCodec> with_random_key();

  // A nonce for `client` valid until now + lifetime, its cookie announcing `features`
  // (kFeature* bits), for requests in `realm` (a server with several realms binds each nonce
  // to the one its challenge named; the HMAC covers it, so this costs no second HMAC).
  Nonce make(const Address& client, TimePoint now, Seconds lifetime,
             std::uint32_t features = kFeaturePasswordAlgorithms,
             std::string_view realm = {}) const;

  enum class Verdict { kValid, kStale, kInvalid };
  // kStale: genuine but expired; kInvalid: not one of ours (including the cookie-less form
  // Ferry issued before RFC 8489 features), or issued to another address. The core answers
  // both with 438 and a fresh nonce (RFC 8489 §9.2.4: "no longer valid").
  // A nonce issued for another realm is kInvalid too.
  Verdict check(std::string_view nonce, const Address& client, TimePoint now,
                std::string_view realm = {}) const;

 private:
  void tag(std::string_view cookie, std::uint64_t expiry, const Address& client,
           std::string_view realm, char* out32) const;
  Key key_;
};

inline std::string_view as_view(const NonceCodec::Nonce& n) {
  return {n.data(), n.size()};
}

}  // namespace ferry::auth
