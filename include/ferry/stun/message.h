// STUN message codec (RFC 8489 §5, §6, §14): parse in place, build into a caller buffer.
// Pure: bytes in, bytes out; no sockets, no clock, no logging, no heap per message.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "ferry/common/bytes.h"
#include "ferry/common/result.h"

namespace ferry::stun {

inline constexpr std::uint32_t kMagicCookie = 0x2112A442;  // RFC 8489 §5
inline constexpr std::size_t kHeaderSize = 20;
inline constexpr std::uint32_t kFingerprintXor = 0x5354554E;  // RFC 8489 §14.7
// The largest message the 16-bit length field can describe (a multiple of 4): over TCP/TLS a
// message can be this large; over UDP the datagram limit (65,507 bytes on IPv4) comes first.
inline constexpr std::size_t kMaxMessageSize = kHeaderSize + 0xFFFC;

// Methods of RFC 8489, RFC 8656 and RFC 6062 (12-bit values).
enum class Method : std::uint16_t {
  kBinding = 0x001,
  kAllocate = 0x003,
  kRefresh = 0x004,
  kSend = 0x006,
  kData = 0x007,
  kCreatePermission = 0x008,
  kChannelBind = 0x009,
  kConnect = 0x00A,
  kConnectionBind = 0x00B,
  kConnectionAttempt = 0x00C,
};

// The method with this 12-bit value, if it is one of the above: the wire carries any value,
// and a switch over Method is exhaustive only over what it can hold.
constexpr std::optional<Method> to_method(std::uint16_t value) {
  const auto m = static_cast<Method>(value);
  switch (m) {
    case Method::kBinding:
    case Method::kAllocate:
    case Method::kRefresh:
    case Method::kSend:
    case Method::kData:
    case Method::kCreatePermission:
    case Method::kChannelBind:
    case Method::kConnect:
    case Method::kConnectionBind:
    case Method::kConnectionAttempt:
      return m;
  }
  return std::nullopt;
}

enum class Class : std::uint8_t { kRequest = 0, kIndication = 1, kSuccess = 2, kError = 3 };

using TransactionId = std::array<std::uint8_t, 12>;

// The three attributes MessageBuilder writes itself (they have no typed value); every other
// attribute type lives with its typed value in attributes.h.
namespace attr {
inline constexpr std::uint16_t kMessageIntegrity = 0x0008;        // RFC 8489 §14.5
inline constexpr std::uint16_t kMessageIntegritySha256 = 0x001C;  // RFC 8489 §14.6
inline constexpr std::uint16_t kFingerprint = 0x8028;             // RFC 8489 §14.7
}  // namespace attr
inline constexpr std::size_t kHmacSha1Size = 20;
inline constexpr std::size_t kHmacSha256Size = 32;

// RFC 8489 §5: the 14-bit type interleaves method bits M0-M11 with class bits C0 and C1.
constexpr std::uint16_t encode_type(std::uint16_t method, Class cls) {
  auto c = static_cast<std::uint16_t>(cls);
  return static_cast<std::uint16_t>((method & 0x000F) | ((method & 0x0070) << 1) |
                                    ((method & 0x0F80) << 2) | ((c & 1) << 4) | ((c & 2) << 7));
}
constexpr std::uint16_t decode_method(std::uint16_t type) {
  return static_cast<std::uint16_t>((type & 0x000F) | ((type & 0x00E0) >> 1) |
                                    ((type & 0x3E00) >> 2));
}
constexpr Class decode_class(std::uint16_t type) {
  return static_cast<Class>(((type >> 4) & 1) | ((type >> 7) & 2));
}

// One attribute as it sits in the message: type, value bytes (without padding), and the offset
// of its 4-byte header from the start of the message.
struct RawAttribute {
  std::uint16_t type = 0;
  Bytes value;
  std::size_t offset = 0;
};

// Upper bound on attributes we index per message; a message with more is rejected (a legitimate
// STUN/TURN message carries about a dozen).
inline constexpr std::size_t kMaxAttributes = 48;

// A validated view of a STUN message inside a caller-owned buffer. It does not copy the
// message: the buffer must outlive the view.
class MessageView {
 public:
  // Validates header (top two bits zero, length multiple of 4 and equal to the datagram's
  // remaining bytes, RFC 8489 §6.3) and walks the attributes (each fits, padding to 4).
  // A message without the magic cookie is accepted as an RFC 3489 message (rfc3489() true).
  // A FINGERPRINT that is present must be last and correct, else the message is rejected.
  // Also rejected: a datagram over kMaxMessageSize, more than kMaxAttributes attributes, a
  // FINGERPRINT that is not 4 bytes. Padding bytes are not checked (RFC 8489 §14: ignored on
  // receipt; RFC 5769's vectors pad with spaces).
  static Result<MessageView> parse(Bytes datagram);

  std::uint16_t raw_type() const { return type_; }
  std::uint16_t method() const { return decode_method(type_); }
  Class cls() const { return decode_class(type_); }
  bool is(Method m, Class c) const {
    return method() == static_cast<std::uint16_t>(m) && cls() == c;
  }
  // Bytes 8..20 for RFC 8489 messages; for RFC 3489 messages the 16-byte id is bytes 4..20 and
  // this returns its last 12 bytes (use rfc3489_id() for the whole).
  const TransactionId& transaction_id() const { return tid_; }
  Bytes rfc3489_id() const { return data_.subspan(4, 16); }
  bool rfc3489() const { return rfc3489_; }
  Bytes data() const { return data_; }
  std::size_t size() const { return data_.size(); }

  std::size_t attribute_count() const { return count_; }
  RawAttribute attribute(std::size_t i) const { return expand(attrs_[i]); }

  // The first attribute of this type that precedes MESSAGE-INTEGRITY(-SHA256) (RFC 8489 §14.5:
  // attributes after it are ignored, except FINGERPRINT).
  std::optional<RawAttribute> find(std::uint16_t type) const;

  // Typed access: A::kType, and A::parse(Bytes value, const TransactionId&) -> Result<A>.
  template <class A>
  std::optional<A> get() const {
    auto raw = find(A::kType);
    if (!raw) return std::nullopt;
    auto r = A::parse(raw->value, tid_);
    if (!r) return std::nullopt;
    return std::move(r).value();
  }
  template <class A>
  bool has() const {
    return find(A::kType).has_value();
  }

  // Comprehension-required (type < 0x8000) attributes this codec does not know (before
  // MESSAGE-INTEGRITY), for a 420 response's UNKNOWN-ATTRIBUTES (RFC 8489 §14.13). Returns
  // how many were written to `out` (at most out.size()).
  std::size_t unknown_required(std::span<std::uint16_t> out) const;

  bool has_fingerprint() const { return fingerprint_; }
  // The MESSAGE-INTEGRITY / -SHA256 attributes that count (std::nullopt when absent): the first
  // MESSAGE-INTEGRITY not preceded by a MESSAGE-INTEGRITY-SHA256, and the first
  // MESSAGE-INTEGRITY-SHA256 (it may follow MESSAGE-INTEGRITY, RFC 8489 §14.6).
  std::optional<RawAttribute> message_integrity() const;
  std::optional<RawAttribute> message_integrity_sha256() const;

 private:
  Status index_attributes();
  Status add_attribute(std::uint16_t type, std::size_t offset, std::size_t length);
  std::optional<RawAttribute> at(std::size_t index) const;

  // 8 bytes an attribute instead of a RawAttribute's 32: a view is built for every message
  // and returned by value, so its size is paid in every parse (no zeroing, and copies take
  // only the attributes present).
  struct Packed {
    std::uint16_t type;
    std::uint16_t length;
    std::uint32_t offset;  // of the attribute header in data_
  };
  RawAttribute expand(const Packed& p) const {
    return RawAttribute{p.type, data_.subspan(p.offset + 4, p.length), p.offset};
  }

  Bytes data_;
  std::uint16_t type_ = 0;
  TransactionId tid_{};
  bool rfc3489_ = false;
  bool fingerprint_ = false;
  std::size_t integrity_index_ = kMaxAttributes;  // first MI or MI-SHA256, kMaxAttributes: none
  std::size_t mi_index_ = kMaxAttributes;         // the MESSAGE-INTEGRITY that counts
  std::size_t mi256_index_ = kMaxAttributes;      // the MESSAGE-INTEGRITY-SHA256 that counts
  std::size_t count_ = 0;
  std::array<Packed, kMaxAttributes> attrs_;  // [0, count_) set; the rest never read

 public:
  MessageView() = default;
  MessageView(const MessageView& o) { *this = o; }
  MessageView& operator=(const MessageView& o) {
    data_ = o.data_;
    type_ = o.type_;
    tid_ = o.tid_;
    rfc3489_ = o.rfc3489_;
    fingerprint_ = o.fingerprint_;
    integrity_index_ = o.integrity_index_;
    mi_index_ = o.mi_index_;
    mi256_index_ = o.mi256_index_;
    count_ = o.count_;
    std::copy_n(o.attrs_.begin(), count_, attrs_.begin());
    return *this;
  }
};

// Is this datagram plausibly STUN (first two bits zero, length field consistent)? Cheap
// demultiplexing test (RFC 7983) before a full parse; ChannelData starts with 0b01.
bool looks_like_stun(Bytes datagram);

// Builds a message into a caller buffer. Attribute adders write header, value and zero padding;
// integrity and fingerprint adders patch the header length as RFC 8489 §14.5-14.7 require.
class MessageBuilder {
 public:
  MessageBuilder(MutableBytes buf, std::uint16_t method, Class cls, const TransactionId& tid);
  MessageBuilder(MutableBytes buf, Method method, Class cls, const TransactionId& tid)
      : MessageBuilder(buf, static_cast<std::uint16_t>(method), cls, tid) {}
  // RFC 3489 response: no magic cookie; the 16-byte id is copied as is.
  static MessageBuilder rfc3489(MutableBytes buf, std::uint16_t method, Class cls, Bytes id16);

  // Typed attribute: A::kType, A::value_size(), A::write_value(Writer&, const TransactionId&).
  template <class A>
  MessageBuilder& add(const A& a) {
    begin_attribute(A::kType);
    a.write_value(w_, tid_);
    end_attribute();
    return *this;
  }
  // Raw attribute (tests, passthrough).
  MessageBuilder& add_raw(std::uint16_t type, Bytes value);

  // HMAC-SHA1 over the message so far with the length covering the MI attribute (§14.5).
  MessageBuilder& add_message_integrity(Bytes key);
  // HMAC-SHA256, full 32 bytes (§14.6).
  MessageBuilder& add_message_integrity_sha256(Bytes key);
  // CRC-32 of the message so far XOR 0x5354554E; must be last (§14.7).
  MessageBuilder& add_fingerprint();

  // False once the buffer overflowed, a value could not be encoded (e.g. an ERROR-CODE outside
  // 300..699, an over-long SOFTWARE), or an attribute was added after FINGERPRINT.
  bool ok() const { return w_.ok() && !failed_; }
  const TransactionId& transaction_id() const { return tid_; }
  // The finished message (header length patched); empty when !ok().
  Bytes finish();

 private:
  void begin_attribute(std::uint16_t type);
  void end_attribute();
  void patch_length(std::size_t total);
  // Writes MESSAGE-INTEGRITY(-SHA256): HMAC over the message so far, length covering it.
  MessageBuilder& add_hmac(std::uint16_t type, bool sha256, Bytes key);
  Writer w_;
  TransactionId tid_{};
  std::size_t attr_start_ = 0;
  bool failed_ = false;
  bool sealed_ = false;  // FINGERPRINT written: nothing may follow (RFC 8489 §14.7)
};

// Integrity checks over a parsed message; both compare in constant time (CRYPTO_memcmp).
bool check_message_integrity(const MessageView& m, Bytes key);
bool check_message_integrity_sha256(const MessageView& m, Bytes key);
// How many integrity HMACs the two checks above have computed on the calling thread. It exists so
// that tests can assert constant work without timing anything (e.g. an unknown USERNAME costs the
// same HMAC as a wrong password, CONFORMANCE.md "Secure by default"); it costs one thread-local
// increment per check and is never reset.
std::uint64_t integrity_checks_on_this_thread();
// CRC-32 check; MessageView::parse already rejects a wrong one, this is for callers that need it.
bool check_fingerprint(const MessageView& m);

}  // namespace ferry::stun
