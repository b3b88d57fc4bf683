// The error codes Ferry sends (RFC 8489 §14.8, RFC 8656 §19), each with its reason phrase.
// The codec owns them: ERROR-CODE and ADDRESS-ERROR-CODE carry them, and every place that
// names a code names an enumerator, never a bare number.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ferry::stun {

// Values are the wire numbers. Adding one: give it a phrase below (the switch is exhaustive,
// -Wswitch-enum) and list it in kErrorCodes (a static_assert checks that).
enum class ErrorCode : std::uint16_t {
  kTryAlternate = 300,                  // RFC 8489 §14.8 (ALTERNATE-SERVER, §10)
  kBadRequest = 400,                    // RFC 8489 §14.8
  kUnauthorized = 401,                  // RFC 8489 §14.8
  kForbidden = 403,                     // RFC 8656 §19
  kMobilityForbidden = 405,             // RFC 8016 §3.4
  kUnknownAttribute = 420,              // RFC 8489 §14.8
  kAllocationMismatch = 437,            // RFC 8656 §19
  kStaleNonce = 438,                    // RFC 8489 §14.8
  kAddressFamilyNotSupported = 440,     // RFC 8656 §19
  kWrongCredentials = 441,              // RFC 8656 §19
  kUnsupportedTransportProtocol = 442,  // RFC 8656 §19
  kPeerAddressFamilyMismatch = 443,     // RFC 8656 §19
  kConnectionAlreadyExists = 446,       // RFC 6062 §6.3
  kConnectionTimeoutOrFailure = 447,    // RFC 6062 §6.3
  kAllocationQuotaReached = 486,        // RFC 8656 §19
  kInsufficientCapacity = 508,          // RFC 8656 §19
};

constexpr std::uint16_t number(ErrorCode c) {
  return static_cast<std::uint16_t>(c);
}

// The phrases the RFCs suggest (RFC 8489 §14.8: "MAY be changed"; clients must not rely on them).
constexpr std::string_view reason_phrase(ErrorCode c) {
  switch (c) {
    case ErrorCode::kTryAlternate:
      return "Try Alternate";
    case ErrorCode::kBadRequest:
      return "Bad Request";
    case ErrorCode::kUnauthorized:
      return "Unauthorized";
    case ErrorCode::kForbidden:
      return "Forbidden";
    case ErrorCode::kMobilityForbidden:
      return "Mobility Forbidden";
    case ErrorCode::kUnknownAttribute:
      return "Unknown Attribute";
    case ErrorCode::kAllocationMismatch:
      return "Allocation Mismatch";
    case ErrorCode::kStaleNonce:
      return "Stale Nonce";
    case ErrorCode::kAddressFamilyNotSupported:
      return "Address Family not Supported";
    case ErrorCode::kWrongCredentials:
      return "Wrong Credentials";
    case ErrorCode::kUnsupportedTransportProtocol:
      return "Unsupported Transport Protocol";
    case ErrorCode::kPeerAddressFamilyMismatch:
      return "Peer Address Family Mismatch";
    case ErrorCode::kConnectionAlreadyExists:
      return "Connection Already Exists";
    case ErrorCode::kConnectionTimeoutOrFailure:
      return "Connection Timeout or Failure";
    case ErrorCode::kAllocationQuotaReached:
      return "Allocation Quota Reached";
    case ErrorCode::kInsufficientCapacity:
      return "Insufficient Capacity";
  }
  return "Error";  // not an enumerator (a cast from a number nobody checked)
}

// The enumerator with this wire number, if there is one.
constexpr std::optional<ErrorCode> to_error_code(std::uint16_t n) {
  const auto c = static_cast<ErrorCode>(n);
  switch (c) {
    case ErrorCode::kTryAlternate:
    case ErrorCode::kBadRequest:
    case ErrorCode::kUnauthorized:
    case ErrorCode::kForbidden:
    case ErrorCode::kMobilityForbidden:
    case ErrorCode::kUnknownAttribute:
    case ErrorCode::kAllocationMismatch:
    case ErrorCode::kStaleNonce:
    case ErrorCode::kAddressFamilyNotSupported:
    case ErrorCode::kWrongCredentials:
    case ErrorCode::kUnsupportedTransportProtocol:
    case ErrorCode::kPeerAddressFamilyMismatch:
    case ErrorCode::kConnectionAlreadyExists:
    case ErrorCode::kConnectionTimeoutOrFailure:
    case ErrorCode::kAllocationQuotaReached:
    case ErrorCode::kInsufficientCapacity:
      return c;
  }
  return std::nullopt;
}

// Every enumerator, in increasing order (what metrics and counters iterate over).
inline constexpr std::array kErrorCodes = {
    ErrorCode::kTryAlternate,
    ErrorCode::kBadRequest,
    ErrorCode::kUnauthorized,
    ErrorCode::kForbidden,
    ErrorCode::kMobilityForbidden,
    ErrorCode::kUnknownAttribute,
    ErrorCode::kAllocationMismatch,
    ErrorCode::kStaleNonce,
    ErrorCode::kAddressFamilyNotSupported,
    ErrorCode::kWrongCredentials,
    ErrorCode::kUnsupportedTransportProtocol,
    ErrorCode::kPeerAddressFamilyMismatch,
    ErrorCode::kConnectionAlreadyExists,
    ErrorCode::kConnectionTimeoutOrFailure,
    ErrorCode::kAllocationQuotaReached,
    ErrorCode::kInsufficientCapacity,
};

namespace detail {
// Each number that names an enumerator is listed exactly once, in order (RFC 8489 §14.8:
// codes are 300..699).
constexpr bool error_codes_listed() {
  std::size_t next = 0;
  for (std::uint16_t n = 300; n < 700; ++n) {
    if (!to_error_code(n)) continue;
    if (next == kErrorCodes.size() || number(kErrorCodes[next]) != n) return false;
    ++next;
  }
  return next == kErrorCodes.size();
}
}  // namespace detail
static_assert(detail::error_codes_listed(), "kErrorCodes must list every ErrorCode, in order");

}  // namespace ferry::stun
