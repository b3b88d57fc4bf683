#include "ferry/turn/server.h"

#include "ferry/stun/attributes.h"
#include "ferry/stun/message.h"

namespace ferry::turn {

namespace {

using stun::Class;
using stun::MessageBuilder;
using stun::MessageView;
using stun::Method;

std::string_view reason_phrase(std::uint16_t code) {
  switch (code) {
    case 400:
      return "Bad Request";
    case 420:
      return "Unknown Attribute";
    default:
      return "Error";
  }
}

}  // namespace

void Server::on_client_packet(const FiveTuple& tuple, Bytes packet, TimePoint now) {
  (void)now;  // lifetimes arrive with the TURN core
  auto parsed = MessageView::parse(packet);
  if (!parsed) {
    // RFC 8489 §6.3: malformed messages are discarded silently (no amplification).
    ++counters_.dropped_malformed;
    return;
  }
  const MessageView& m = *parsed;
  if (m.cls() != Class::kRequest) {
    // Indications never get answers (a Binding indication is a keepalive); responses from
    // clients are unsolicited and dropped.
    ++counters_.dropped_other;
    return;
  }
  if (m.rfc3489() && !settings_.stun_backward_compatibility) {
    ++counters_.dropped_other;
    return;
  }
  // RFC 8489 §6.3.1.1: unknown comprehension-required attributes -> 420 listing them.
  std::array<std::uint16_t, 16> unknown{};
  if (std::size_t n = m.unknown_required(unknown); n > 0) {
    MessageBuilder b(out_, m.method(), Class::kError, m.transaction_id());
    b.add(stun::attr::ErrorCode{420, reason_phrase(420)});
    stun::attr::UnknownAttributes ua;
    for (std::size_t i = 0; i < n; ++i) ua.push(unknown[i]);
    b.add(ua);
    if (settings_.software) b.add(stun::attr::Software{settings_.software_name});
    if (settings_.fingerprint || m.has_fingerprint()) b.add_fingerprint();
    ++counters_.error_responses;
    egress_.to_client(tuple, b.finish());
    return;
  }
  if (m.is(Method::kBinding, Class::kRequest)) {
    handle_binding(tuple, m);
    return;
  }
  // TURN methods are answered by the relay core once it exists; until then a clear 400.
  reply_error(tuple, m, 400);
}

void Server::handle_binding(const FiveTuple& tuple, const MessageView& m) {
  ++counters_.binding_requests;
  const bool fingerprint = settings_.fingerprint || m.has_fingerprint();
  if (m.rfc3489()) {
    // RFC 3489 §11.2.1: classic clients understand only MAPPED-ADDRESS (no XOR, no cookie).
    auto b = MessageBuilder::rfc3489(out_, m.method(), Class::kSuccess, m.rfc3489_id());
    b.add(stun::attr::MappedAddress{tuple.client});
    if (settings_.software) b.add(stun::attr::Software{settings_.software_name});
    ++counters_.binding_responses;
    egress_.to_client(tuple, b.finish());
    return;
  }
  MessageBuilder b(out_, Method::kBinding, Class::kSuccess, m.transaction_id());
  // RFC 8489 §14.2: the reflexive address, XOR-ed so that NATs rewriting addresses in payloads
  // cannot break it. MAPPED-ADDRESS (§14.1) for RFC 3489-era clients reading only that.
  b.add(stun::attr::XorMappedAddress{tuple.client});
  if (settings_.stun_backward_compatibility) b.add(stun::attr::MappedAddress{tuple.client});
  // RFC 5780 §7.3: where the response was sent from.
  if (settings_.response_origin) b.add(stun::attr::ResponseOrigin{tuple.server});
  if (settings_.software) b.add(stun::attr::Software{settings_.software_name});
  if (fingerprint) b.add_fingerprint();
  ++counters_.binding_responses;
  egress_.to_client(tuple, b.finish());
}

void Server::reply_error(const FiveTuple& tuple, const MessageView& m, std::uint16_t code) {
  if (m.rfc3489()) {
    ++counters_.dropped_other;
    return;
  }
  MessageBuilder b(out_, m.method(), Class::kError, m.transaction_id());
  b.add(stun::attr::ErrorCode{code, reason_phrase(code)});
  if (settings_.software) b.add(stun::attr::Software{settings_.software_name});
  if (settings_.fingerprint || m.has_fingerprint()) b.add_fingerprint();
  ++counters_.error_responses;
  egress_.to_client(tuple, b.finish());
}

}  // namespace ferry::turn
