// ferry-loadgen's packets: a stamp at the start of every payload (which allocation, which
// direction, a sequence number and the send time), and the TURN framing around it on the
// client side: ChannelData (RFC 8656 §12.4) or a Send indication (§11.1) out, ChannelData or a
// Data indication (§11.4) in. Hand-built: the hot path writes a few header bytes per packet.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ferry/common/address.h"
#include "ferry/common/bytes.h"

namespace ferry::loadgen {

enum class Direction : std::uint8_t { kC2p = 0, kP2c = 1 };

struct Stamp {
  Direction direction = Direction::kC2p;
  std::uint32_t allocation = 0;
  std::uint64_t seq = 0;
  std::uint64_t sent_ns = 0;  // CLOCK_MONOTONIC
};

constexpr std::size_t kStampSize = 24;
constexpr std::size_t kChannelHeader = 4;
constexpr std::size_t kSendHeader = 20 + 12 + 4;  // STUN header, XOR-PEER-ADDRESS (v4), DATA
constexpr std::size_t kSendHeaderV6 = 20 + 24 + 4;

// CLOCK_MONOTONIC in nanoseconds.
std::uint64_t now_ns();

// Writes the stamp over the first kStampSize bytes of a payload.
void write_stamp(std::uint8_t* payload, const Stamp& s);
// False if the payload does not start with a stamp of ours.
bool read_stamp(Bytes payload, Stamp* out);

// ChannelData header for `payload_size` bytes; the payload follows at out + kChannelHeader.
void write_channel_header(std::uint8_t* out, std::uint16_t channel, std::size_t payload_size);

// Send indication header (no FINGERPRINT) to `peer` for `payload_size` bytes; returns its size
// (kSendHeader or kSendHeaderV6). The payload follows it, then padding to a multiple of 4:
// send_size() is the whole datagram. `tid` fills the 12-byte transaction id.
std::size_t write_send_header(std::uint8_t* out, const Address& peer, std::size_t payload_size,
                              std::uint64_t tid);
std::size_t send_size(std::size_t header, std::size_t payload_size);

// The application payload of a datagram a client received from the server: ChannelData, or the
// DATA attribute of a Data indication. Empty for anything else (responses, junk).
Bytes client_payload(Bytes datagram);

}  // namespace ferry::loadgen
