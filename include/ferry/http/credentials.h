// The credential endpoint of the HTTP listener (issue 19): TURN REST credentials
// (draft-uberti-behave-turn-rest-00 §2.2, coturn's format) minted for a web app from the first
// static-auth-secret, behind an API key, restricted origins and a per-source rate. The pure
// pieces live here (query parsing, user-part checks, the URI list, the two JSON shapes, the
// constant-time key check), so that each is unit-tested without a socket; router.cc puts them
// together.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ferry/http/settings.h"

namespace ferry::http {

// ---- Counters (Prometheus: ferry_credentials_issued_total, ferry_credentials_refused_total).

enum class Refusal : std::uint8_t {
  kBadKey,       // 401: no key, or not one of web-credential-key
  kOrigin,       // 403: an Origin header not listed in web-credential-origin
  kRateLimited,  // 429: the source prefix spent its web-credential-rate budget
  kBadRequest,   // 400: a malformed query, username or ttl
  kMethod,       // 405: not GET (or OPTIONS for a preflight)
  kNotAdmin,     // web-test-credentials asked for from outside the admin network
  kCount
};
inline constexpr std::array<std::string_view, static_cast<std::size_t>(Refusal::kCount)>
    kRefusalNames = {"bad_key", "origin", "rate_limited", "bad_request", "method", "not_admin"};

// A copy of the counters, for the metrics page.
struct CredentialCounts {
  std::uint64_t issued_api = 0;        // /turn and /ice-servers
  std::uint64_t issued_test_page = 0;  // /config.json with web-test-credentials
  std::array<std::uint64_t, kRefusalNames.size()> refused{};
};

// Written by the HTTP thread, read by the metrics render (also the HTTP thread today; atomics
// keep it correct if a scrape ever moves elsewhere).
struct CredentialCounters {
  std::atomic<std::uint64_t> issued_api{0};
  std::atomic<std::uint64_t> issued_test_page{0};
  std::array<std::atomic<std::uint64_t>, kRefusalNames.size()> refused{};

  void refuse(Refusal r) {
    refused[static_cast<std::size_t>(r)].fetch_add(1, std::memory_order_relaxed);
  }
  CredentialCounts snapshot() const;
};

// ---- Pure pieces.

// Equal contents, in a time that depends only on the lengths (no early exit on the first
// differing byte): a key guessed byte by byte gains nothing from the answer's timing.
bool constant_time_equal(std::string_view a, std::string_view b);
// `presented` compared with every configured key (all of them, whatever matched first).
bool key_matches(const std::vector<std::string>& keys, std::string_view presented);

// The key a request carries: "Authorization: Bearer KEY" (kept out of access logs and URLs),
// else the `key` query parameter (AppRTC's TURN_URL_TEMPLATE shape). Empty when neither.
std::string_view presented_key(std::string_view authorization, std::string_view query_key);

// application/x-www-form-urlencoded (percent escapes, '+' for space). nullopt for a malformed
// escape, more than kMaxQueryParams parameters, or a value above kMaxQueryValue bytes.
inline constexpr std::size_t kMaxQueryParams = 16;
inline constexpr std::size_t kMaxQueryValue = 1024;
using QueryParams = std::vector<std::pair<std::string, std::string>>;
std::optional<QueryParams> parse_query(std::string_view query);

// The user part of a REST username ("<expiry><sep><user>"): 1..kMaxUserPart bytes of letters,
// digits and - . _ ~ @ + = (never the separator, a control byte, a space, a quote or a byte
// above 0x7e: the name travels in STUN, logs and JSON). An error text, or nullopt when fine.
inline constexpr std::size_t kMaxUserPart = 128;
std::optional<std::string> user_part_problem(std::string_view user, char separator);

// A random user part when the caller names none: 16 hex digits from the system's CSPRNG.
std::string random_user_part();

// The TURN URIs (RFC 7065) a client is told: per address (external-ip's public addresses, else
// the listeners, loopback and link-local dropped unless nothing else is left; IPv6 bracketed)
// turn: over UDP and TCP as they run, and turns: on the TLS port with `tls_name` (a DNS name of
// the certificate) as host when known, else each address.
std::vector<std::string> turn_uris(const PageInfo& page);
// The stun: URIs of the same addresses.
std::vector<std::string> stun_uris(const PageInfo& page);

struct Credential {
  std::string username;  // "<expiry><sep><user>"
  std::string password;  // base64(HMAC-SHA1(secret, username))
  std::int64_t ttl = 0;  // seconds
};
Credential mint(std::string_view secret, std::string_view user, char separator,
                std::int64_t unix_now, std::int64_t ttl);

// draft-uberti-behave-turn-rest-00 §2.2: {"username","password","ttl","uris"}.
std::string rest_json(const Credential& c, const std::vector<std::string>& uris);
// An RTCConfiguration ready for `new RTCPeerConnection(json)`: {"iceServers":[{"urls":[stun]},
// {"urls":[turn...],"username","credential"}]} (W3C webrtc-pc §4.2.1 RTCIceServer).
std::string ice_servers_json(const Credential& c, const std::vector<std::string>& stun,
                             const std::vector<std::string>& turn);

// An Origin value web-credential-origin accepts: scheme "http" or "https", "://", a host
// (name, IPv4, or [IPv6]), an optional ":port", nothing after. An error text, or nullopt.
std::optional<std::string> origin_problem(std::string_view origin);

// The DNS names (subjectAltName dNSName entries, no wildcards) of the first certificate in a
// PEM file; empty when there are none or the file cannot be read.
std::vector<std::string> certificate_dns_names(const std::string& pem_file);

}  // namespace ferry::http
