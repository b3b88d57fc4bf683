// The long-term credential check (RFC 8489 §9.2.4), run before any state changes.
#include <limits>

#include "allocation.h"
#include "ferry/stun/attributes.h"
#include "ferry/turn/dispatcher.h"
#include "reply.h"

namespace ferry::turn {

using stun::ErrorCode;

namespace {

// Any fixed value will do: it only buys an unknown user the same HMAC a known one costs, and a
// request that happens to verify under it is refused all the same.
constexpr auth::Md5Key kUnknownUserKey{};

// Without a wall clock every time-limited credential reads as expired (fail closed).
constexpr std::int64_t kUnknownTime = std::numeric_limits<std::int64_t>::max();

}  // namespace

std::optional<Reply> Dispatcher::authenticate(const Request& r, Auth& out) {
  if (!settings_.auth_required) return std::nullopt;  // no-auth: an open relay, by choice
  const stun::MessageView& m = r.message;
  // MESSAGE-INTEGRITY-SHA256 alone is answered like a missing MESSAGE-INTEGRITY until SHA-256
  // credentials are offered (PASSWORD-ALGORITHMS arrives with the authentication issue).
  auto mi = m.message_integrity();
  if (!mi) {
    ++counters_.auth_challenges;
    return Reply::challenge(ErrorCode::kUnauthorized);
  }
  auto user = m.get<stun::attr::Username>();
  auto realm = m.get<stun::attr::Realm>();
  auto nonce = m.get<stun::attr::Nonce>();
  if (!user || !realm || !nonce) {
    ++counters_.auth_bad_request;
    return Reply::error(ErrorCode::kBadRequest);  // §9.2.4 step 2
  }
  // Stateless nonce: expired, forged or issued to another address all read as "no longer
  // valid" -> 438 with a fresh one (§9.2.4 step 3).
  if (deps_.nonces.check(nonce->value, r.tuple.client, r.now) !=
      auth::NonceCodec::Verdict::kValid) {
    ++counters_.auth_stale_nonce;
    return Reply::challenge(ErrorCode::kStaleNonce);
  }
  const std::int64_t unix_now = deps_.wall_clock ? deps_.wall_clock->unix_seconds() : kUnknownTime;
  const auth::Lookup found = deps_.credentials.find(user->value, realm->value, unix_now);
  // Unknown user, expired credential and wrong password answer alike (§9.2.4 step 4: 401), so
  // the answer does not reveal which names exist; the integrity compare is constant time. A
  // request without a key still pays for one HMAC, keyed with a dummy key and its verdict
  // ignored, so the answer's timing does not reveal the names either (issue 16 item 9;
  // auth_timing_test counts the HMACs). While REST secrets rotate a name has one key per
  // secret: the first that verifies is the one.
  const auth::Md5Key* key = nullptr;
  for (const auto& k : found.keys) {
    if (stun::check_message_integrity(m, Bytes(k.md5.data(), k.md5.size()))) {
      key = &k.md5;
      break;
    }
  }
  if (found.keys.empty()) {
    (void)stun::check_message_integrity(m, Bytes(kUnknownUserKey.data(), kUnknownUserKey.size()));
  }
  if (key == nullptr) {
    switch (found.status) {
      case auth::Lookup::Status::kFound:
        ++counters_.auth_bad_integrity;
        break;
      case auth::Lookup::Status::kUnknown:
        ++counters_.auth_unknown_user;
        break;
      case auth::Lookup::Status::kExpired:
        ++counters_.auth_expired;
        break;
    }
    return Reply::challenge(ErrorCode::kUnauthorized);
  }
  out.key = *key;
  out.username = user->value;
  out.authenticated = true;
  return std::nullopt;
}

}  // namespace ferry::turn
