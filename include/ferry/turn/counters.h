// What a worker's core counts, for /metrics. Each worker writes only its own Counters; the
// HTTP thread reads every worker's on a scrape and sums them (DESIGN.md section 2: nothing
// shared on the packet path).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "ferry/common/address.h"
#include "ferry/common/counter.h"
#include "ferry/stun/error_code.h"

namespace ferry::turn {

// Error responses are counted by code: one slot per stun::ErrorCode (stun::kErrorCodes order),
// then one for any other number. kErrorCodes holds the slots' wire numbers (metrics labels).
inline constexpr auto kErrorCodes = [] {
  std::array<std::uint16_t, stun::kErrorCodes.size()> numbers{};
  for (std::size_t i = 0; i < numbers.size(); ++i) numbers[i] = stun::number(stun::kErrorCodes[i]);
  return numbers;
}();
constexpr std::size_t error_code_slot(std::uint16_t code) {
  for (std::size_t i = 0; i < kErrorCodes.size(); ++i) {
    if (kErrorCodes[i] == code) return i;
  }
  return kErrorCodes.size();
}
constexpr std::size_t error_code_slot(stun::ErrorCode code) {
  return error_code_slot(stun::number(code));
}

// Allocations are counted by the client's transport and the relay address's family.
inline constexpr std::size_t kTransports = 4;  // Transport::kUdp .. kDtls
inline constexpr std::size_t kAllocationSlots = kTransports * 2;
constexpr std::size_t allocation_slot(Transport t, bool relay_v6) {
  return static_cast<std::size_t>(t) * 2 + (relay_v6 ? 1 : 0);
}

// RFC 8016 mobility: why a move was refused (metrics label, in this order).
enum class MoveRefusal : std::uint8_t {
  kForbidden,  // 405: mobility off, a stream transport, a TCP relay, a change of transport
  kBadTicket,  // 400: not a ticket of ours, or past its expiry
  kWrongUser,  // 441: a ticket of another user than the request's credentials
  kStale,      // 437: the ticket was used or superseded, or its allocation ended
  kOccupied,   // 437: the new 5-tuple has an allocation of its own
  kQuota,      // 486: max-allocations-per-ip of the new address is reached
  kBusy,       // 508 or no answer: a worker's queue was full, or the relays could not move
};
inline constexpr std::size_t kMoveRefusals = 7;
inline constexpr std::array<const char*, kMoveRefusals> kMoveRefusalNames = {
    "forbidden", "bad_ticket", "wrong_user", "stale_ticket", "occupied", "quota", "busy"};

struct Counters {
  Counter binding_requests;
  Counter binding_responses;
  // Error responses by code (kErrorCodes order, then "other"); 401 challenges included.
  std::array<Counter, kErrorCodes.size() + 1> error_responses;
  // Why a request's long-term credential was refused (RFC 8489 §9.2.4). A 401 to a request
  // without MESSAGE-INTEGRITY is the normal first round trip, counted as a challenge instead.
  Counter auth_challenges;
  Counter auth_bad_request;    // MESSAGE-INTEGRITY without USERNAME, REALM or NONCE: 400
  Counter auth_stale_nonce;    // expired, forged or another address's nonce: 438
  Counter auth_unknown_user;   // no key for USERNAME in REALM: 401
  Counter auth_bad_integrity;  // wrong password (MESSAGE-INTEGRITY mismatch): 401
  Counter auth_expired;        // a time-limited (TURN REST) credential past its expiry: 401
  Counter auth_wrong_user;     // the allocation belongs to another user: 441
  // REALM is not the realm of the request (its ORIGIN's, its allocation's, the configured
  // one): 401 naming the right one.
  Counter auth_wrong_realm;
  Counter auth_wrong_origin;  // check-origin-consistency: another ORIGIN than the Allocate's: 441
  // RFC 8489 §9.2.1 bid-down protection: PASSWORD-ALGORITHMS not as sent, or
  // PASSWORD-ALGORITHM missing, not offered or with parameters: 400.
  Counter auth_bad_algorithm;
  Counter auth_no_sha256_key;  // SHA-256 asked for by an account stored as 0x<MD5>: 401
  // Requests that passed, by the key's password algorithm (RFC 8489 §18.5), and those of them
  // that named the user by USERHASH (§14.4).
  Counter auth_md5;
  Counter auth_sha256;
  Counter auth_userhash;
  // Dropped without an answer.
  Counter dropped_malformed;      // not STUN, not ChannelData, or ChannelData without allocation
  Counter dropped_no_permission;  // no permission or channel for the peer (RFC 8656 §9, §12)
  Counter dropped_other;          // indications and responses nobody asked for
  // Answers without MESSAGE-INTEGRITY to a UDP source over its prefix's budget
  // (unauthenticated-response-rate): what a spoofed request would have reflected.
  Counter dropped_rate_limited;
  Counter dropped_bandwidth;  // over max-bps (per allocation) or bps-capacity (server)
  // Allocations by allocation_slot(); current = created - ended.
  std::array<Counter, kAllocationSlots> allocations_created;
  std::array<Counter, kAllocationSlots> allocations_ended;
  Counter permissions_created;
  Counter permissions_ended;
  Counter channels_created;
  Counter channels_ended;
  // The relayed payload (application data, without STUN/ChannelData framing).
  Counter relayed_to_peer;
  Counter relayed_to_client;
  Counter relayed_bytes_to_peer;
  Counter relayed_bytes_to_client;
  // RFC 6062 TCP relays: peer data connections opened (a Connect that succeeded, an inbound
  // peer let in) and ended; Connects that failed (447); inbound peers closed at once (no
  // permission, the peer policy, the allocation's cap); ConnectionBinds that succeeded and
  // that were refused for good (unknown id, another user's connection: the connection closes).
  Counter tcp_connections_opened;
  Counter tcp_connections_ended;
  Counter tcp_connect_failed;
  Counter tcp_peers_refused;
  Counter tcp_binds;
  Counter tcp_binds_refused;
  // RFC 8016: tickets issued, allocations moved to a new 5-tuple (counted by the worker that
  // answers the move), moves refused by reason (MoveRefusal order).
  Counter mobility_tickets;
  Counter mobility_moves;
  Counter mobility_moves_across;  // of those, moves from another worker
  std::array<Counter, kMoveRefusals> mobility_refused;
  void refuse_move(MoveRefusal why) { ++mobility_refused[static_cast<std::size_t>(why)]; }

  std::uint64_t error_responses_total() const {
    std::uint64_t n = 0;
    for (const auto& c : error_responses) n += c.get();
    return n;
  }
  std::uint64_t errors_with_code(std::uint16_t code) const {
    return error_responses[error_code_slot(code)].get();
  }
  std::uint64_t errors_with_code(stun::ErrorCode code) const {
    return error_responses[error_code_slot(code)].get();
  }
  std::uint64_t allocations_created_total() const { return sum(allocations_created); }
  std::uint64_t allocations_ended_total() const { return sum(allocations_ended); }

 private:
  static std::uint64_t sum(const std::array<Counter, kAllocationSlots>& a) {
    std::uint64_t n = 0;
    for (const auto& c : a) n += c.get();
    return n;
  }
};

}  // namespace ferry::turn
