#include "ferry/auth/ticket.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstring>

#include "ferry/common/hmac.h"

namespace ferry::auth {

namespace {

void store_be64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (56 - 8 * i));
}
std::uint64_t load_be64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

Expected<TicketCodec> TicketCodec::with_random_key() {
  Key k{};
  if (RAND_bytes(k.data(), static_cast<int>(k.size())) != 1) {
    return fail("the CSPRNG gave no mobility ticket key (RAND_bytes failed)");
  }
  return TicketCodec(k);
}

std::size_t TicketCodec::make(const Fields& f, std::span<std::uint8_t, kMaxSize> out) const {
  if (f.username.size() > kMaxUsername) return 0;
  std::uint8_t* p = out.data();
  p[0] = kVersion;
  store_be16(p + 1, f.worker);
  store_be32(p + 3, f.index);
  store_be64(p + 7, f.serial);
  store_be64(p + 15, static_cast<std::uint64_t>(f.expires.time_since_epoch().count()));
  store_be16(p + 23, static_cast<std::uint16_t>(f.username.size()));
  std::memcpy(p + kFixedSize, f.username.data(), f.username.size());
  const std::size_t body = kFixedSize + f.username.size();
  if (!hmac(HmacDigest::kSha256, Bytes(key_.data(), key_.size()), Bytes(p, body), Bytes{},
            p + body)) {
    return 0;
  }
  return body + kMacSize;
}

std::optional<TicketCodec::Fields> TicketCodec::open(Bytes ticket) const {
  if (ticket.size() < kFixedSize + kMacSize || ticket.size() > kMaxSize) return std::nullopt;
  const std::uint8_t* p = ticket.data();
  const std::size_t user_len = load_be16(p + 23);
  if (p[0] != kVersion || ticket.size() != kFixedSize + user_len + kMacSize) return std::nullopt;
  const std::size_t body = kFixedSize + user_len;
  std::array<std::uint8_t, kMacSize> mac{};
  if (!hmac(HmacDigest::kSha256, Bytes(key_.data(), key_.size()), ticket.first(body), Bytes{},
            mac.data())) {
    return std::nullopt;
  }
  if (CRYPTO_memcmp(mac.data(), p + body, kMacSize) != 0) return std::nullopt;
  Fields f;
  f.worker = load_be16(p + 1);
  f.index = load_be32(p + 3);
  f.serial = load_be64(p + 7);
  f.expires = TimePoint(Duration(static_cast<Duration::rep>(load_be64(p + 15))));
  f.username = std::string_view(reinterpret_cast<const char*>(p + kFixedSize), user_len);
  return f;
}

}  // namespace ferry::auth
