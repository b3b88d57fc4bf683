// STUN message parsing and building (RFC 8489 §5, §6.3, §14). Integrity and fingerprint
// computations are in integrity.cc.
#include "ferry/stun/message.h"

#include <algorithm>
#include <cstring>

#include "ferry/stun/attributes.h"

namespace ferry::stun {

namespace {

// RFC 8489 §14: attribute values are padded to a multiple of 4 bytes.
constexpr std::size_t pad4(std::size_t n) {
  return (n + 3) & ~std::size_t{3};
}

}  // namespace

Result<MessageView> MessageView::parse(Bytes datagram) {
  // RFC 8489 §6.3: header checks first, each one cheap, so garbage costs almost nothing.
  if (datagram.size() < kHeaderSize) return Error{"STUN message shorter than its header"};
  if (datagram.size() > kMaxMessageSize) return Error{"STUN message too large"};
  if ((datagram[0] & 0xC0) != 0) return Error{"not STUN: the top two bits are not zero"};
  const std::size_t length = load_be16(&datagram[2]);
  // §5: the length excludes the header and is a multiple of 4, all attributes being padded.
  if (length % 4 != 0) return Error{"STUN length is not a multiple of 4"};
  if (length != datagram.size() - kHeaderSize)
    return Error{"STUN length disagrees with the datagram"};

  MessageView m;
  m.data_ = datagram;
  m.type_ = load_be16(&datagram[0]);
  // §5: without the magic cookie this is an RFC 3489 message whose 128-bit transaction id
  // includes bytes 4..8; tid_ keeps the last 12 bytes either way.
  m.rfc3489_ = load_be32(&datagram[4]) != kMagicCookie;
  std::memcpy(m.tid_.data(), &datagram[8], m.tid_.size());
  if (Status s = m.index_attributes(); !s) return s.error();
  return m;
}

Status MessageView::index_attributes() {
  std::size_t offset = kHeaderSize;
  while (offset < data_.size()) {
    // offset and the message size are multiples of 4, so the 4-byte attribute header fits.
    const std::uint16_t type = load_be16(&data_[offset]);
    const std::size_t length = load_be16(&data_[offset + 2]);
    if (pad4(length) > data_.size() - offset - 4)
      return Error{"STUN attribute overruns the message"};
    // RFC 8489 §14.7: FINGERPRINT is the last attribute; anything after it is malformed.
    if (fingerprint_) return Error{"STUN FINGERPRINT is not the last attribute"};
    if (Status s = add_attribute(type, offset, length); !s) return s;
    offset += 4 + pad4(length);
  }
  // §7.3: a message whose FINGERPRINT does not match is discarded.
  if (fingerprint_ && !check_fingerprint(*this)) return Error{"STUN FINGERPRINT mismatch"};
  return {};
}

Status MessageView::add_attribute(std::uint16_t type, std::size_t offset, std::size_t length) {
  if (count_ == kMaxAttributes) return Error{"STUN message has too many attributes"};
  const std::size_t i = count_++;
  attrs_[i] = Packed{type, static_cast<std::uint16_t>(length), static_cast<std::uint32_t>(offset)};
  if (type == attr::kFingerprint) {
    if (length != 4) return Error{"STUN FINGERPRINT is not 4 bytes"};
    fingerprint_ = true;
  } else if (type == attr::kMessageIntegrity) {
    // RFC 8489 §14.5: the first MESSAGE-INTEGRITY counts, unless MESSAGE-INTEGRITY-SHA256
    // came first (§14.6: then everything but FINGERPRINT after it is ignored).
    if (integrity_index_ == kMaxAttributes) {
      mi_index_ = i;
      integrity_index_ = i;
    }
  } else if (type == attr::kMessageIntegritySha256) {
    // §14.5: MESSAGE-INTEGRITY-SHA256 may follow MESSAGE-INTEGRITY.
    if (mi256_index_ == kMaxAttributes) {
      mi256_index_ = i;
      integrity_index_ = std::min(integrity_index_, i);
    }
  }
  return {};
}

std::optional<RawAttribute> MessageView::at(std::size_t index) const {
  if (index >= count_) return std::nullopt;
  return expand(attrs_[index]);
}

std::optional<RawAttribute> MessageView::find(std::uint16_t type) const {
  if (type == attr::kFingerprint) return fingerprint_ ? at(count_ - 1) : std::nullopt;
  if (type == attr::kMessageIntegrity) return message_integrity();
  if (type == attr::kMessageIntegritySha256) return message_integrity_sha256();
  // RFC 8489 §14.5/§14.6: attributes after the integrity attribute are not protected by it,
  // so they are ignored: an attacker could append anything there.
  const std::size_t end = std::min(count_, integrity_index_);
  for (std::size_t i = 0; i < end; ++i) {
    if (attrs_[i].type == type) return expand(attrs_[i]);
  }
  return std::nullopt;
}

std::optional<RawAttribute> MessageView::message_integrity() const {
  return at(mi_index_);
}

std::optional<RawAttribute> MessageView::message_integrity_sha256() const {
  return at(mi256_index_);
}

std::size_t MessageView::unknown_required(std::span<std::uint16_t> out) const {
  // RFC 8489 §14: types 0x0000-0x7FFF are comprehension-required; §6.3.1.1 answers unknown
  // ones with 420 listing them. Each type is listed once.
  std::size_t n = 0;
  const std::size_t end = std::min(count_, integrity_index_);
  for (std::size_t i = 0; i < end && n < out.size(); ++i) {
    const std::uint16_t type = attrs_[i].type;
    if (type >= 0x8000 || is_known_attribute(type)) continue;
    const auto listed = out.first(n);
    if (std::find(listed.begin(), listed.end(), type) != listed.end()) continue;
    out[n++] = type;
  }
  return n;
}

bool looks_like_stun(Bytes datagram) {
  // RFC 7983 §7: first byte 0..3 is STUN; the length must also describe this datagram.
  if (datagram.size() < kHeaderSize || (datagram[0] & 0xC0) != 0) return false;
  const std::size_t length = load_be16(&datagram[2]);
  return length % 4 == 0 && length + kHeaderSize == datagram.size();
}

MessageBuilder::MessageBuilder(MutableBytes buf, std::uint16_t method, Class cls,
                               const TransactionId& tid)
    : w_(buf), tid_(tid) {
  // RFC 8489 §5: type, length (patched as attributes are added), magic cookie, id.
  w_.u16(encode_type(method, cls));
  w_.u16(0);
  w_.u32(kMagicCookie);
  w_.bytes(tid);
}

MessageBuilder MessageBuilder::rfc3489(MutableBytes buf, std::uint16_t method, Class cls,
                                       Bytes id16) {
  // RFC 3489 §11.1: a 128-bit transaction id where RFC 8489 has the cookie and 96 bits; the
  // response echoes it. Its last 12 bytes serve as tid_ (no XOR attribute uses it).
  TransactionId tail{};
  if (id16.size() == 16) std::memcpy(tail.data(), id16.data() + 4, tail.size());
  MessageBuilder b(buf, method, cls, tail);
  if (id16.size() != 16) {
    b.failed_ = true;
  } else if (b.w_.ok()) {
    std::memcpy(b.w_.data() + 4, id16.data(), 4);
  }
  return b;
}

MessageBuilder& MessageBuilder::add_raw(std::uint16_t type, Bytes value) {
  begin_attribute(type);
  w_.bytes(value);
  end_attribute();
  return *this;
}

void MessageBuilder::begin_attribute(std::uint16_t type) {
  // RFC 8489 §14.7: FINGERPRINT is last; adding after it would produce a message peers drop.
  if (sealed_) failed_ = true;
  attr_start_ = w_.size();
  w_.u16(type);
  w_.u16(0);
}

void MessageBuilder::end_attribute() {
  if (!ok()) return;
  const std::size_t length = w_.size() - attr_start_ - 4;
  if (length > 0xFFFF) {
    failed_ = true;
    return;
  }
  w_.put16_at(attr_start_ + 2, static_cast<std::uint16_t>(length));
  // RFC 8489 §14: the length excludes the padding, which is sent as zero bytes.
  w_.zeros(pad4(length) - length);
  patch_length(w_.size());
}

void MessageBuilder::patch_length(std::size_t total) {
  if (!ok() || total < kHeaderSize) return;
  if (total > kMaxMessageSize) {
    failed_ = true;
    return;
  }
  w_.put16_at(2, static_cast<std::uint16_t>(total - kHeaderSize));
}

Bytes MessageBuilder::finish() {
  patch_length(w_.size());
  return ok() ? w_.written() : Bytes{};
}

}  // namespace ferry::stun
