// The one response path: a handler's Reply becomes bytes here, and only here. SOFTWARE,
// MESSAGE-INTEGRITY and FINGERPRINT are added, the unauthenticated-response limit applied, the
// answer counted and sent through the Egress.
#include "allocation.h"
#include "allocations.h"
#include "ferry/common/prefix_limiter.h"
#include "ferry/stun/attributes.h"
#include "ferry/turn/dispatcher.h"
#include "reply.h"

namespace ferry::turn {

using stun::Class;
using stun::MessageBuilder;

void Dispatcher::respond(const Request& r, const Reply& reply) {
  const FiveTuple& t = r.tuple;
  const stun::MessageView& m = r.message;
  if (reply.kind() == Reply::Kind::kDeferred) return;
  if (reply.kind() == Reply::Kind::kRetransmission) {
    // Sent before to this allocation's 5-tuple: already counted, never limited.
    egress_.to_client(t, reply.sent());
    return;
  }
  const bool success = reply.kind() == Reply::Kind::kSuccess;
  if (m.rfc3489() && !success) {
    // RFC 3489 has no error this client could match (see on_client_packet).
    ++counters_.dropped_other;
    return;
  }
  // An answer with MESSAGE-INTEGRITY proves the requester knew the key; one that belongs to an
  // allocation went to a 5-tuple that proved it when it allocated (or under no-auth, by the
  // operator's choice). Any other answer to UDP could be reflected to a spoofed source.
  if (reply.key() == nullptr && reply.remember_in() == nullptr && !reply.to_holder() &&
      !unauthenticated_reply_allowed(t, r.now)) {
    return;
  }
  if (success) {
    if (r.method == stun::Method::kBinding) ++counters_.binding_responses;
  } else {
    ++counters_.error_responses[error_code_slot(reply.code())];
  }
  if (m.rfc3489()) {
    // RFC 3489 §11.2.1: the classic form (no cookie, the 16-byte id), no FINGERPRINT.
    auto b = MessageBuilder::rfc3489(out_, m.method(), Class::kSuccess, m.rfc3489_id());
    reply.for_each_attribute([&](const auto& a) { b.add(a); });
    if (settings_.software) b.add(stun::attr::Software{settings_.software_name});
    if (reply.route()) {
      egress_.to_client_from(*reply.route(), b.finish());  // RFC 3489's CHANGE-REQUEST
      return;
    }
    egress_.to_client(t, b.finish());
    return;
  }
  MessageBuilder b(out_, m.method(), success ? Class::kSuccess : Class::kError, m.transaction_id());
  if (!success) b.add(stun::attr::ErrorCode::of(reply.code()));
  reply.for_each_attribute([&](const auto& a) { b.add(a); });
  if (reply.kind() == Reply::Kind::kChallenge) {
    // RFC 8489 §9.2.4: 401 and 438 carry REALM, a fresh NONCE and PASSWORD-ALGORITHMS; no
    // MESSAGE-INTEGRITY. The nonce's cookie announces the password algorithms and, when the
    // credential store can find a user by USERHASH, username anonymity. Made after the
    // limit, so a flood over budget costs no hashing either.
    const std::uint32_t features =
        auth::kFeaturePasswordAlgorithms |
        (deps_.credentials.supports_userhash() ? auth::kFeatureUsernameAnonymity : 0);
    // The nonce is bound to the realm it is issued in (auth.cc says why).
    const std::string_view realm = reply.realm();
    auto nonce = deps_.nonces.make(t.client, r.now, settings_.nonce_lifetime, features, realm);
    b.add(stun::attr::Realm{realm});
    b.add(stun::attr::Nonce{auth::as_view(nonce)});
    b.add_raw(stun::attr::PasswordAlgorithms::kType, Bytes(auth::kOfferedPasswordAlgorithms));
  }
  if (settings_.software) b.add(stun::attr::Software{settings_.software_name});
  if (const auth::MessageKey* key = reply.key()) sign(b, *key);
  if (settings_.fingerprint || m.has_fingerprint()) b.add_fingerprint();
  Bytes out = b.finish();
  if (out.empty()) return;  // cannot happen with our sizes; never send a broken message
  if (Allocation* a = reply.remember_in(); a != nullptr && success) {
    a->last_tid = m.transaction_id();
    a->last_response.assign(out.begin(), out.end());
  }
  if (reply.route()) {
    egress_.to_client_from(*reply.route(), out);  // RFC 5780 §6 (answer_binding)
    return;
  }
  egress_.to_client(t, out);
}

bool Dispatcher::unauthenticated_reply_allowed(const FiveTuple& t, TimePoint now) {
  // Only plain UDP can be spoofed: a TCP or TLS peer completed a handshake from its address,
  // and DTLS answers a ClientHello with a cookie before any STUN message (RFC 6347 §4.2.1).
  if (limiter_ == nullptr || t.transport != Transport::kUdp) return true;
  // The client proved its key when it allocated (or the operator chose no-auth); its
  // keepalive Bindings and Allocate retransmissions must keep working.
  if (allocations_->find(t) != nullptr) return true;
  if (limiter_->allow(t.client, now)) return true;
  ++counters_.dropped_rate_limited;
  return false;
}

}  // namespace ferry::turn
