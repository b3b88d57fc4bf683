#include "dtls_cookie.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <chrono>
#include <cstring>

#include "ferry/common/hmac.h"

namespace ferry::net {

Expected<CookieJar> CookieJar::with_random_key() {
  Key key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    return fail("cannot draw a random DTLS cookie key (RAND_bytes)");
  }
  return CookieJar(key);
}

void CookieJar::make_for(const Address& client, std::int64_t window, std::uint8_t* out) const {
  // window (8) || family (1) || address (16) || port (2): fixed layout, no ambiguity.
  std::uint8_t in[27] = {};
  for (int i = 0; i < 8; ++i) in[i] = static_cast<std::uint8_t>(window >> (8 * (7 - i)));
  in[8] = client.is_v6() ? 6 : 4;
  std::memcpy(in + 9, client.raw().data(), 16);
  in[25] = static_cast<std::uint8_t>(client.port() >> 8);
  in[26] = static_cast<std::uint8_t>(client.port());
  std::uint8_t mac[32];
  (void)hmac(HmacDigest::kSha256, Bytes(key_.data(), key_.size()), Bytes(in, sizeof in), Bytes(),
             mac);
  std::memcpy(out, mac, kSize);
}

namespace {
std::int64_t window_of(TimePoint now) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  return s / CookieJar::kWindowSeconds;
}
}  // namespace

void CookieJar::make(const Address& client, TimePoint now, std::uint8_t* out) const {
  make_for(client, window_of(now), out);
}

bool CookieJar::check(const Address& client, TimePoint now, const std::uint8_t* cookie,
                      std::size_t size) const {
  if (size != kSize) return false;
  const std::int64_t w = window_of(now);
  for (std::int64_t window : {w, w - 1}) {
    std::uint8_t expected[kSize];
    make_for(client, window, expected);
    if (CRYPTO_memcmp(expected, cookie, kSize) == 0) return true;
  }
  return false;
}

}  // namespace ferry::net
