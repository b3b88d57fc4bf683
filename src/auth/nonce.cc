#include "ferry/auth/nonce.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstring>

#include "ferry/common/hmac.h"

namespace ferry::auth {

namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::uint64_t to_seconds(TimePoint t) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<Seconds>(t.time_since_epoch()).count());
}

bool parse_hex64(std::string_view s, std::uint64_t* out) {
  std::uint64_t v = 0;
  for (char c : s) {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return false;
    v = (v << 4) | static_cast<std::uint64_t>(d);
  }
  *out = v;
  return true;
}

int base64_value(char c) {
  const char* p = std::strchr(kBase64, c);
  return c != '\0' && p != nullptr ? static_cast<int>(p - kBase64) : -1;
}

}  // namespace

std::optional<std::uint32_t> nonce_cookie_features(std::string_view nonce) {
  // RFC 8489 §9.2: "obMatJos2" then the 4-character base64 (RFC 4648) of 3 bytes, which hold
  // the 24 bits in network order.
  if (nonce.size() < NonceCodec::kCookieLength || nonce.substr(0, 9) != NonceCodec::kCookie) {
    return std::nullopt;
  }
  std::uint32_t bits = 0;
  for (char c : nonce.substr(9, 4)) {
    const int v = base64_value(c);
    if (v < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
  }
  return bits;
}

Expected<NonceCodec> NonceCodec::with_random_key() {
  Key k{};
  // A guessable key would let anyone forge nonces: no key, no start.
  if (RAND_bytes(k.data(), static_cast<int>(k.size())) != 1) {
    return fail("the CSPRNG gave no nonce key (RAND_bytes failed)");
  }
  return NonceCodec(k);
}

void NonceCodec::tag(std::string_view cookie, std::uint64_t expiry, const Address& client,
                     std::string_view realm, char* out32) const {
  // HMAC-SHA256(key, cookie || expiry || family || ip || realm), truncated to 128 bits:
  // forging one takes 2^128 tries. The cookie is covered, so its feature bits cannot be
  // changed on the way (RFC 8489 §9.2.1). The port is left out so that one client's UDP and
  // TCP sockets share a nonce. The realm comes last (everything before it has a fixed size,
  // so no two inputs run together).
  std::uint8_t msg[kCookieLength + 8 + 1 + 16];
  std::memcpy(msg, cookie.data(), kCookieLength);
  std::uint8_t* p = msg + kCookieLength;
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(expiry >> (56 - 8 * i));
  p[8] = static_cast<std::uint8_t>(client.family());
  std::memcpy(p + 9, client.raw().data(), 16);
  std::uint8_t mac[32] = {};  // zeros only if OpenSSL failed, which it does not in practice
  ferry::hmac(HmacDigest::kSha256, Bytes(key_.data(), key_.size()), Bytes(msg, sizeof msg),
              Bytes(reinterpret_cast<const std::uint8_t*>(realm.data()), realm.size()), mac);
  for (int i = 0; i < 16; ++i) {
    out32[2 * i] = kHex[mac[i] >> 4];
    out32[2 * i + 1] = kHex[mac[i] & 15];
  }
}

NonceCodec::Nonce NonceCodec::make(const Address& client, TimePoint now, Seconds lifetime,
                                   std::uint32_t features, std::string_view realm) const {
  Nonce n{};
  std::memcpy(n.data(), kCookie.data(), kCookie.size());
  for (int i = 0; i < 4; ++i) n[9 + i] = kBase64[(features >> (18 - 6 * i)) & 63];
  char* rest = n.data() + kCookieLength;
  std::uint64_t expiry = to_seconds(now) + static_cast<std::uint64_t>(lifetime.count());
  for (int i = 0; i < 16; ++i) rest[i] = kHex[(expiry >> (60 - 4 * i)) & 15];
  tag({n.data(), kCookieLength}, expiry, client, realm, rest + 16);
  return n;
}

NonceCodec::Verdict NonceCodec::check(std::string_view nonce, const Address& client, TimePoint now,
                                      std::string_view realm) const {
  std::uint64_t expiry = 0;
  if (nonce.size() != kLength || !nonce_cookie_features(nonce) ||
      !parse_hex64(nonce.substr(kCookieLength, 16), &expiry)) {
    return Verdict::kInvalid;
  }
  char expect[32];
  tag(nonce.substr(0, kCookieLength), expiry, client, realm, expect);
  if (CRYPTO_memcmp(expect, nonce.data() + kCookieLength + 16, 32) != 0) return Verdict::kInvalid;
  return to_seconds(now) < expiry ? Verdict::kValid : Verdict::kStale;
}

}  // namespace ferry::auth
