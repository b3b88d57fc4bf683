// MESSAGE-INTEGRITY (HMAC-SHA1, RFC 8489 §14.5), MESSAGE-INTEGRITY-SHA256 (§14.6) and
// FINGERPRINT (CRC-32, §14.7): writing them and checking them.
#include <openssl/crypto.h>

#include <array>
#include <cstring>

#include "ferry/common/hmac.h"
#include "ferry/stun/crc32.h"
#include "ferry/stun/message.h"

namespace ferry::stun {

namespace {

// Read by integrity_checks_on_this_thread() (message.h): per thread, so workers never share it.
thread_local std::uint64_t integrity_checks = 0;

// HMAC over the concatenation a || b, without copying them together: the check hashes a
// patched copy of the 20-byte header, then the rest of the message in place. `out` receives
// 20 (SHA-1) or 32 (SHA-256) bytes.
bool hmac(bool sha256, Bytes key, Bytes a, Bytes b, std::uint8_t* out) {
  return ferry::hmac(sha256 ? HmacDigest::kSha256 : HmacDigest::kSha1, key, a, b, out);
}

bool check_hmac(const MessageView& m, const RawAttribute& mi, bool sha256, Bytes key) {
  // §14.5: exactly 20 bytes. §14.6: 16 to 32 bytes in steps of 4 (a truncated HMAC-SHA256).
  const std::size_t n = mi.value.size();
  if (sha256 ? (n < 16 || n > kHmacSha256Size || n % 4 != 0) : n != kHmacSha1Size) return false;
  // §14.5: the HMAC covers the message up to the attribute, with the header's length as if the
  // attribute ended the message. The header copy lives on the stack; the rest is hashed in place.
  std::array<std::uint8_t, kHeaderSize> header{};
  std::memcpy(header.data(), m.data().data(), kHeaderSize);
  store_be16(&header[2], static_cast<std::uint16_t>(mi.offset + 4 + n - kHeaderSize));
  std::array<std::uint8_t, kHmacSha256Size> mac{};
  ++integrity_checks;
  if (!hmac(sha256, key, header, m.data().subspan(kHeaderSize, mi.offset - kHeaderSize),
            mac.data())) {
    return false;
  }
  // Constant time: a byte-wise early exit would leak how much of a forged HMAC is right.
  return CRYPTO_memcmp(mac.data(), mi.value.data(), n) == 0;
}

}  // namespace

MessageBuilder& MessageBuilder::add_hmac(std::uint16_t type, bool sha256, Bytes key) {
  const std::size_t size = sha256 ? kHmacSha256Size : kHmacSha1Size;
  if (sealed_) failed_ = true;
  if (!ok()) return *this;
  // §14.5: the length field already counts the integrity attribute when the HMAC is computed.
  patch_length(w_.size() + 4 + size);
  std::array<std::uint8_t, kHmacSha256Size> mac{};
  if (ok() && !hmac(sha256, key, w_.written(), {}, mac.data())) failed_ = true;
  begin_attribute(type);
  w_.bytes(Bytes(mac.data(), size));
  end_attribute();
  return *this;
}

MessageBuilder& MessageBuilder::add_message_integrity(Bytes key) {
  return add_hmac(attr::kMessageIntegrity, false, key);
}

MessageBuilder& MessageBuilder::add_message_integrity_sha256(Bytes key) {
  return add_hmac(attr::kMessageIntegritySha256, true, key);
}

MessageBuilder& MessageBuilder::add_fingerprint() {
  if (sealed_) failed_ = true;
  if (!ok()) return *this;
  // §14.7: CRC-32 of the message up to FINGERPRINT, the length field counting FINGERPRINT,
  // XOR-ed with 0x5354554E so that it differs from a CRC some other protocol might carry.
  patch_length(w_.size() + 8);
  const std::uint32_t crc = crc32(w_.written()) ^ kFingerprintXor;
  begin_attribute(attr::kFingerprint);
  w_.u32(crc);
  end_attribute();
  sealed_ = true;
  return *this;
}

bool check_message_integrity(const MessageView& m, Bytes key) {
  auto mi = m.message_integrity();
  return mi && check_hmac(m, *mi, false, key);
}

bool check_message_integrity_sha256(const MessageView& m, Bytes key) {
  auto mi = m.message_integrity_sha256();
  return mi && check_hmac(m, *mi, true, key);
}

std::uint64_t integrity_checks_on_this_thread() {
  return integrity_checks;
}

bool check_fingerprint(const MessageView& m) {
  auto fp = m.find(attr::kFingerprint);
  if (!fp || fp->value.size() != 4) return false;
  // FINGERPRINT is last, so the header's length already ends just after it (§14.7).
  const std::uint32_t expected = crc32(m.data().first(fp->offset)) ^ kFingerprintXor;
  return load_be32(fp->value.data()) == expected;
}

}  // namespace ferry::stun
