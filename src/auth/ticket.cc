#include "ferry/auth/ticket.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstring>

#include "ferry/common/hmac.h"

namespace ferry::auth {

namespace {

constexpr std::size_t kBody = 16;
constexpr std::size_t kMac = 8;
constexpr std::size_t kRaw = kBody + kMac;  // 24 bytes: 32 base64 characters, no padding
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void store(std::uint8_t* p, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * (bytes - 1 - i)));
}
std::uint64_t load(const std::uint8_t* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}
int sextet(std::uint8_t c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

}  // namespace

Expected<TicketCodec> TicketCodec::with_random_key() {
  Key k{};
  if (RAND_bytes(k.data(), static_cast<int>(k.size())) != 1) {
    return fail("the CSPRNG gave no mobility ticket key (RAND_bytes failed)");
  }
  return TicketCodec(k);
}

bool TicketCodec::mac(Bytes body, std::uint8_t* out8) const {
  std::array<std::uint8_t, 32> full{};
  if (!hmac(HmacDigest::kSha256, Bytes(key_.data(), key_.size()), body, Bytes{}, full.data())) {
    return false;
  }
  std::memcpy(out8, full.data(), kMac);
  return true;
}

std::uint16_t TicketCodec::user_tag(std::string_view username) const {
  // Domain-separated from the ticket MAC by the leading byte 0 (a ticket body starts with 1).
  static constexpr std::uint8_t kUserDomain[] = {0};
  std::array<std::uint8_t, 32> full{};
  const Bytes name(reinterpret_cast<const std::uint8_t*>(username.data()), username.size());
  if (!hmac(HmacDigest::kSha256, Bytes(key_.data(), key_.size()), Bytes(kUserDomain), name,
            full.data())) {
    return 0;
  }
  return load_be16(full.data());
}

std::optional<TicketCodec::Ticket> TicketCodec::make(const Fields& f) const {
  if (f.worker > 0xFF || f.index > kMaxIndex || f.serial > kMaxSerial) return std::nullopt;
  const auto secs = std::chrono::duration_cast<Seconds>(f.expires.time_since_epoch()).count();
  if (secs < 0 || secs > 0xFFFFFFFF) return std::nullopt;
  std::array<std::uint8_t, kRaw> raw{};
  raw[0] = kVersion;
  raw[1] = static_cast<std::uint8_t>(f.worker);
  store(raw.data() + 2, f.index, 3);
  store(raw.data() + 5, f.serial, 5);
  store(raw.data() + 10, static_cast<std::uint64_t>(secs), 4);
  store(raw.data() + 14, f.user_tag, 2);
  if (!mac(Bytes(raw.data(), kBody), raw.data() + kBody)) return std::nullopt;
  Ticket out{};
  for (std::size_t i = 0, o = 0; i < kRaw; i += 3) {
    const std::uint32_t v =
        (std::uint32_t{raw[i]} << 16) | (std::uint32_t{raw[i + 1]} << 8) | raw[i + 2];
    for (int k = 3; k >= 0; --k)
      out[o++] = static_cast<std::uint8_t>(kAlphabet[(v >> (6 * k)) & 63]);
  }
  return out;
}

std::optional<TicketCodec::Fields> TicketCodec::open(Bytes ticket) const {
  if (ticket.size() != kSize) return std::nullopt;
  std::array<std::uint8_t, kRaw> raw{};
  for (std::size_t i = 0, o = 0; i < kSize; i += 4) {
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      const int s = sextet(ticket[i + k]);
      if (s < 0) return std::nullopt;
      v = (v << 6) | static_cast<std::uint32_t>(s);
    }
    raw[o++] = static_cast<std::uint8_t>(v >> 16);
    raw[o++] = static_cast<std::uint8_t>(v >> 8);
    raw[o++] = static_cast<std::uint8_t>(v);
  }
  std::array<std::uint8_t, kMac> expect{};
  if (!mac(Bytes(raw.data(), kBody), expect.data())) return std::nullopt;
  if (CRYPTO_memcmp(expect.data(), raw.data() + kBody, kMac) != 0) return std::nullopt;
  if (raw[0] != kVersion) return std::nullopt;
  Fields f;
  f.worker = raw[1];
  f.index = static_cast<std::uint32_t>(load(raw.data() + 2, 3));
  f.serial = load(raw.data() + 5, 5);
  f.expires = TimePoint(Seconds(static_cast<Seconds::rep>(load(raw.data() + 10, 4))));
  f.user_tag = static_cast<std::uint16_t>(load(raw.data() + 14, 2));
  return f;
}

}  // namespace ferry::auth
