#include "loadgen/wire.h"

#include <time.h>

#include <algorithm>
#include <cstring>

namespace ferry::loadgen {

namespace {

constexpr std::uint32_t kMagicCookie = 0x2112A442;  // RFC 8489 §5
constexpr std::uint16_t kSendIndication = 0x0016;
constexpr std::uint16_t kDataIndication = 0x0017;
constexpr std::uint16_t kXorPeerAddress = 0x0012;
constexpr std::uint16_t kDataAttribute = 0x0013;
// Stamp magic: "FLG" and the direction, so a packet that went the wrong way is not counted.
constexpr std::uint32_t kStampMagic = 0x464C4700;

std::size_t padded(std::size_t n) {
  return (n + 3) & ~std::size_t{3};
}

}  // namespace

std::uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ULL +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

// Host byte order: the generator reads its own stamps.
void write_stamp(std::uint8_t* payload, const Stamp& s) {
  const std::uint32_t magic = kStampMagic | static_cast<std::uint32_t>(s.direction);
  std::memcpy(payload, &magic, 4);
  std::memcpy(payload + 4, &s.allocation, 4);
  std::memcpy(payload + 8, &s.seq, 8);
  std::memcpy(payload + 16, &s.sent_ns, 8);
}

bool read_stamp(Bytes payload, Stamp* out) {
  if (payload.size() < kStampSize) return false;
  std::uint32_t magic = 0;
  std::memcpy(&magic, payload.data(), 4);
  if ((magic & ~std::uint32_t{1}) != kStampMagic) return false;
  out->direction = static_cast<Direction>(magic & 1);
  std::memcpy(&out->allocation, payload.data() + 4, 4);
  std::memcpy(&out->seq, payload.data() + 8, 8);
  std::memcpy(&out->sent_ns, payload.data() + 16, 8);
  return true;
}

void write_channel_header(std::uint8_t* out, std::uint16_t channel, std::size_t payload_size) {
  store_be16(out, channel);
  store_be16(out + 2, static_cast<std::uint16_t>(payload_size));
}

// RFC 8656 §14.3 / RFC 8489 §14.2: XOR-PEER-ADDRESS with the port XORed with the cookie's top
// 16 bits and the address with the cookie (IPv6: cookie then transaction id).
std::size_t write_send_header(std::uint8_t* out, const Address& peer, std::size_t payload_size,
                              std::uint64_t tid) {
  const std::size_t ip_len = peer.ip_len();
  const std::size_t header = 20 + 4 + 4 + ip_len + 4;
  const std::size_t body = header - 20 + padded(payload_size);
  store_be16(out, kSendIndication);
  store_be16(out + 2, static_cast<std::uint16_t>(body));
  store_be32(out + 4, kMagicCookie);
  std::memset(out + 8, 0, 4);
  std::memcpy(out + 12, &tid, 8);
  std::uint8_t* a = out + 20;
  store_be16(a, kXorPeerAddress);
  store_be16(a + 2, static_cast<std::uint16_t>(4 + ip_len));
  a[4] = 0;
  a[5] = peer.is_v4() ? 0x01 : 0x02;
  store_be16(a + 6, static_cast<std::uint16_t>(peer.port() ^ (kMagicCookie >> 16)));
  const std::uint8_t* key = out + 4;  // cookie then transaction id
  for (std::size_t i = 0; i < ip_len; ++i) a[8 + i] = peer.ip()[i] ^ key[i];
  std::uint8_t* d = a + 8 + ip_len;
  store_be16(d, kDataAttribute);
  store_be16(d + 2, static_cast<std::uint16_t>(payload_size));
  return header;
}

std::size_t send_size(std::size_t header, std::size_t payload_size) {
  return header + padded(payload_size);
}

Bytes client_payload(Bytes dg) {
  if (dg.size() >= kChannelHeader && (dg[0] & 0xC0) == 0x40) {
    const std::size_t len = load_be16(dg.data() + 2);
    if (kChannelHeader + len > dg.size()) return {};
    return dg.subspan(kChannelHeader, len);
  }
  if (dg.size() < 20 || load_be16(dg.data()) != kDataIndication) return {};
  const std::size_t end = std::min(dg.size(), std::size_t{20} + load_be16(dg.data() + 2));
  std::size_t pos = 20;
  while (pos + 4 <= end) {
    const std::uint16_t type = load_be16(dg.data() + pos);
    const std::size_t len = load_be16(dg.data() + pos + 2);
    if (pos + 4 + len > end) return {};
    if (type == kDataAttribute) return dg.subspan(pos + 4, len);
    pos += 4 + padded(len);
  }
  return {};
}

}  // namespace ferry::loadgen
