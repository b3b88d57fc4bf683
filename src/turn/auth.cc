// The long-term credential check (RFC 8489 §9.2.4), run before any state changes.
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
  auto key = deps_.credentials.key(user->value, realm->value);
  // Unknown user and wrong password answer alike, so the answer does not reveal which names
  // exist; the integrity compare is constant time. An unknown user still pays for the HMAC,
  // keyed with a dummy key and its verdict ignored, so the answer's timing does not reveal the
  // names either (issue 16 item 9; auth_timing_test counts the HMACs).
  const auth::Md5Key& check_key = key ? *key : kUnknownUserKey;
  const bool intact = stun::check_message_integrity(m, Bytes(check_key.data(), check_key.size()));
  if (!key || !intact) {
    ++(key ? counters_.auth_bad_integrity : counters_.auth_unknown_user);
    return Reply::challenge(ErrorCode::kUnauthorized);
  }
  out.key = *key;
  out.username = user->value;
  out.authenticated = true;
  return std::nullopt;
}

}  // namespace ferry::turn
