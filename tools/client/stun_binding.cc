#include "stun_binding.h"

#include <openssl/rand.h>

#include <algorithm>
#include <array>

#include "ferry/stun/attributes.h"

namespace ferry::client {

stun::TransactionId random_transaction_id() {
  stun::TransactionId t{};
  RAND_bytes(t.data(), static_cast<int>(t.size()));
  return t;
}

namespace {

std::optional<BindingReply> decode(const stun::MessageView& m, std::string* error) {
  BindingReply r;
  r.has_fingerprint = m.has_fingerprint();  // parse() already verified it
  if (m.cls() == stun::Class::kError) {
    auto ec = m.get<stun::attr::ErrorCode>();
    r.error_code = ec ? ec->code : 0;
    if (r.error_code == 0) {
      *error = "error response without a valid ERROR-CODE";
      return std::nullopt;
    }
    return r;
  }
  if (auto a = m.get<stun::attr::XorMappedAddress>()) r.xor_mapped = a->address;
  if (auto a = m.get<stun::attr::MappedAddress>()) r.mapped = a->address;
  if (auto a = m.get<stun::attr::ResponseOrigin>()) r.response_origin = a->address;
  if (auto sw = m.get<stun::attr::Software>()) r.software = std::string(sw->value);
  if (r.xor_mapped.empty() && r.mapped.empty()) {
    *error = "success response without a mapped address";
    return std::nullopt;
  }
  return r;
}

}  // namespace

std::optional<BindingReply> binding(ClientSocket& s, const BindingOptions& o, std::string* error) {
  auto tid = random_transaction_id();
  std::array<std::uint8_t, 512> buf{};
  stun::MessageBuilder b(buf, stun::Method::kBinding, stun::Class::kRequest, tid);
  if (o.fingerprint) b.add_fingerprint();
  Bytes req = b.finish();
  auto deadline = Clock::now() + o.timeout;
  Millis rto = o.initial_rto;
  while (Clock::now() < deadline) {
    // A UDP send can fail with the ICMP error of the previous attempt (port unreachable):
    // that is still "no response", so keep retrying until the deadline.
    if (!s.send(req) && is_stream(s.transport())) {
      *error = "send to " + s.remote().to_string() + " failed";
      return std::nullopt;
    }
    // Over TCP the stream is reliable: one send, wait for the whole timeout (RFC 8489 §6.2.2).
    auto until = !is_stream(s.transport()) ? std::min(deadline, Clock::now() + rto) : deadline;
    while (Clock::now() < until) {
      auto left = std::chrono::duration_cast<Millis>(until - Clock::now());
      auto got = s.receive(left);
      if (!got && is_stream(s.transport())) break;  // stream closed
      if (!got) continue;  // timeout, or an ICMP error reported early: wait out this round
      auto m = stun::MessageView::parse(Bytes(got->data(), got->size()));
      if (!m || m->transaction_id() != tid || m->method() != 1) continue;
      return decode(*m, error);
    }
    if (is_stream(s.transport())) break;
    rto = std::min(rto * 2, Millis(4000));  // RFC 8489 §6.2.1 doubles; cap it for tools
  }
  *error = "no response from " + s.remote().to_string() + " within " +
           std::to_string(o.timeout.count()) + " ms";
  return std::nullopt;
}

}  // namespace ferry::client
