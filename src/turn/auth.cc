// The long-term credential check (RFC 8489 §9.2.4), run before any state changes.
#include <limits>

#include "allocation.h"
#include "ferry/auth/nonce.h"
#include "ferry/stun/attributes.h"
#include "ferry/turn/dispatcher.h"
#include "reply.h"

namespace ferry::turn {

using stun::ErrorCode;

namespace {

// Any fixed value will do: it only buys an unknown user the same HMAC a known one costs, and a
// request that happens to verify under it is refused all the same. 32 bytes: the SHA-256 key's
// size; an MD5 request's dummy is its first 16.
constexpr auth::Sha256Key kUnknownUserKey{};

// Without a wall clock every time-limited credential reads as expired (fail closed).
constexpr std::int64_t kUnknownTime = std::numeric_limits<std::int64_t>::max();

// What the request asks its key to be derived with (RFC 8489 §9.2.4, third check).
enum class Negotiated : std::uint8_t {
  kLegacyMd5,  // neither PASSWORD-ALGORITHM nor PASSWORD-ALGORITHMS: MD5, MESSAGE-INTEGRITY back
  kMd5,        // PASSWORD-ALGORITHM MD5 (§18.5.1.1)
  kSha256,     // PASSWORD-ALGORITHM SHA-256 (§18.5.1.2)
  kRefused,    // 400: the bid-down protection failed
};

bool same_bytes(Bytes a, Bytes b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

Negotiated negotiate(const stun::MessageView& m, std::string_view nonce) {
  const auto chosen = m.find(stun::attr::PasswordAlgorithm::kType);
  const auto offered = m.find(stun::attr::PasswordAlgorithms::kType);
  // "If the request contains neither ... then the request is processed as though
  // PASSWORD-ALGORITHM were MD5": RFC 5389 clients and browsers. A man in the middle cannot
  // strip them from a request without breaking its integrity; stripping PASSWORD-ALGORITHMS
  // from our 401 makes an RFC 8489 client refuse to go on (§9.2.5: the cookie has the bit).
  if (!chosen && !offered) return Negotiated::kLegacyMd5;
  // The checks apply to a nonce whose cookie has the "Password algorithms" bit, which every
  // nonce Ferry issues has; any other nonce is not ours and draws a 438 next.
  const auto features = auth::nonce_cookie_features(nonce);
  if (!features || (*features & auth::kFeaturePasswordAlgorithms) == 0) {
    return Negotiated::kLegacyMd5;
  }
  // Both present, the list exactly as our 401 and 438 send it (the server is stateless: the
  // list it sent is always this one), and the choice one of its entries: an MD5 or SHA-256
  // entry has no parameters, so the value is the 4 bytes of that entry (MD5 with parameters,
  // an algorithm not offered, a list re-ordered, shortened or padded out: all 400).
  if (!chosen || !offered) return Negotiated::kRefused;
  const Bytes list(auth::kOfferedPasswordAlgorithms);
  if (!same_bytes(offered->value, list)) return Negotiated::kRefused;
  if (same_bytes(chosen->value, list.subspan(0, 4))) return Negotiated::kSha256;
  if (same_bytes(chosen->value, list.subspan(4, 4))) return Negotiated::kMd5;
  return Negotiated::kRefused;
}

}  // namespace

std::optional<Reply> Dispatcher::authenticate(const Request& r, Auth& out,
                                              std::string_view expected_realm) {
  out.realm = expected_realm;
  if (!settings_.auth_required) return std::nullopt;  // no-auth: an open relay, by choice
  const stun::MessageView& m = r.message;
  // RFC 8489 §9.2.4: MESSAGE-INTEGRITY-SHA256, when present, is the one checked (with a
  // MESSAGE-INTEGRITY beside it, that one is ignored); else MESSAGE-INTEGRITY.
  const auto mi256 = m.message_integrity_sha256();
  const auto mi = mi256 ? std::nullopt : m.message_integrity();
  if (!mi256 && !mi) {
    ++counters_.auth_challenges;
    return Reply::challenge(ErrorCode::kUnauthorized, expected_realm);
  }
  auto user = m.get<stun::attr::Username>();
  auto userhash = m.find(stun::attr::Userhash::kType);
  auto realm = m.get<stun::attr::Realm>();
  auto nonce = m.get<stun::attr::Nonce>();
  // §9.2.4 step 2: USERNAME or USERHASH, REALM and NONCE. Both names at once is no form the
  // RFC has (§9.2.3.2: "either the USERNAME or USERHASH"): which one the key belongs to would
  // be the server's guess, so it is refused as malformed, as is a USERHASH that is not 32
  // bytes (§14.4). §14.6 lets a usage allow a truncated MESSAGE-INTEGRITY-SHA256; TURN
  // (RFC 8656) does not, so anything but the full 32 bytes is malformed too.
  if ((!user && !userhash) || (user && userhash) || !realm || !nonce ||
      (userhash && userhash->value.size() != stun::attr::Userhash::kSize) ||
      (mi256 && mi256->value.size() != stun::kHmacSha256Size)) {
    ++counters_.auth_bad_request;
    return Reply::error(ErrorCode::kBadRequest);
  }
  // §9.2.4 step 3: the bid-down protection (§9.2.1).
  const Negotiated algorithm = negotiate(m, nonce->value);
  if (algorithm == Negotiated::kRefused) {
    ++counters_.auth_bad_algorithm;
    return Reply::error(ErrorCode::kBadRequest);
  }
  // Stateless nonce: expired, forged, issued to another address or in another realm all read
  // as "no longer valid" -> 438 with a fresh one (§9.2.4 step 6). Checked before the user, so
  // that a flood of stale requests costs no lookup. The realm is bound in (its HMAC covers
  // it, no second HMAC): a nonce a challenge in realm A gave cannot be spent in realm B, so a
  // client whose requests changed realm (another ORIGIN) is told the realm they are in now,
  // with a fresh nonce, instead of having its key tried in a realm it did not derive it for.
  if (deps_.nonces.check(nonce->value, r.tuple.client, r.now, expected_realm) !=
      auth::NonceCodec::Verdict::kValid) {
    ++counters_.auth_stale_nonce;
    return Reply::challenge(ErrorCode::kStaleNonce, expected_realm);
  }
  const std::int64_t unix_now = deps_.wall_clock ? deps_.wall_clock->unix_seconds() : kUnknownTime;
  // REALM must be the realm of the request (§9.2.4: the key is derived with it). A client
  // whose ORIGIN maps to realm B signing with its realm-A credentials is refused with a 401
  // naming B, after the same one HMAC as any refusal (no store lookup in A: realm A's users
  // are not realm B's).
  const bool in_realm = realm->value == expected_realm;
  auth::Lookup found;
  if (!in_realm) {
    out.username = user ? user->value : std::string_view{};
  } else if (user) {
    found = deps_.credentials.find(user->value, realm->value, unix_now);
    out.username = user->value;
  } else {
    // §14.4: USERHASH = SHA-256(username ":" realm); the store names the user (or cannot).
    auth::Sha256Key hash{};
    std::copy(userhash->value.begin(), userhash->value.end(), hash.begin());
    auth::NamedLookup named = deps_.credentials.find_by_userhash(hash, realm->value, unix_now);
    found = std::move(named.lookup);
    out.hashed_username = std::move(named.user);
    out.username = out.hashed_username;
  }
  // Unknown user, expired credential and wrong password answer alike (§9.2.4 step 4: 401), so
  // the answer does not reveal which names exist; the integrity compare is constant time. A
  // request without a usable key still pays for one HMAC, keyed with a dummy key and its
  // verdict ignored, so the answer's timing does not reveal the names either (issue 16 item 9;
  // auth_timing_test counts the HMACs). While REST secrets rotate a name has one key per
  // secret: the first that verifies is the one.
  const bool sha256_key = algorithm == Negotiated::kSha256;
  const auto verifies = [&](Bytes key) {
    return mi256 ? stun::check_message_integrity_sha256(m, key)
                 : stun::check_message_integrity(m, key);
  };
  std::optional<auth::MessageKey> key;
  bool tried = false;
  for (const auto& k : found.keys) {
    // A key stored as coturn's 0x<MD5> has no SHA-256 twin: SHA-256 cannot be used with it.
    if (sha256_key && !k.sha256) continue;
    const auth::MessageKey candidate =
        sha256_key ? auth::MessageKey::sha256(*k.sha256) : auth::MessageKey::md5(k.md5);
    tried = true;
    if (verifies(candidate.view())) {
      key = candidate;
      break;
    }
  }
  if (!tried) {
    (void)verifies(Bytes(kUnknownUserKey.data(), sha256_key ? 32 : 16));
  }
  if (!key && !in_realm) {
    ++counters_.auth_wrong_realm;
    return Reply::challenge(ErrorCode::kUnauthorized, expected_realm);
  }
  if (!key) {
    switch (found.status) {
      case auth::Lookup::Status::kFound:
        if (tried) {
          ++counters_.auth_bad_integrity;
        } else {
          ++counters_.auth_no_sha256_key;  // a 0x<MD5> account asked for SHA-256
        }
        break;
      case auth::Lookup::Status::kUnknown:
        ++counters_.auth_unknown_user;
        break;
      case auth::Lookup::Status::kExpired:
        ++counters_.auth_expired;
        break;
    }
    return Reply::challenge(ErrorCode::kUnauthorized, expected_realm);
  }
  // "Any response generated by the server MUST include the MESSAGE-INTEGRITY-SHA256 attribute
  // ... unless the request was processed as though PASSWORD-ALGORITHM was MD5 (because the
  // request contained neither ...)": then MESSAGE-INTEGRITY, as before RFC 8489.
  key->sha256_integrity = algorithm != Negotiated::kLegacyMd5;
  ++(sha256_key ? counters_.auth_sha256 : counters_.auth_md5);
  if (userhash) ++counters_.auth_userhash;
  out.key = *key;
  out.authenticated = true;
  return std::nullopt;
}

}  // namespace ferry::turn
