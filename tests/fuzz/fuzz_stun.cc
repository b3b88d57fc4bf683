// libFuzzer target for the codec. Each input is tried as a STUN message (then every typed
// attribute is read, written back and re-read, integrity is checked with a fixed key, and a
// response is rebuilt), as ChannelData over UDP and over a stream, and as a TCP stream cut into
// frames. Invariants that must hold abort() so that both libFuzzer and the replay runner
// (replay_main.cc, used by gcc builds) report them.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ferry/stun/attributes.h"
#include "ferry/stun/channel_data.h"
#include "ferry/stun/framing.h"
#include "ferry/stun/message.h"

namespace ferry::stun {
namespace {

constexpr std::string_view kKey = "fuzz-key";

// Scratch buffers for the messages built from each input (static: no 128 KiB stack frames).
std::array<std::uint8_t, kMaxMessageSize> g_scratch;
std::array<std::uint8_t, kMaxMessageSize> g_response;

void require(bool condition) {
  if (!condition) std::abort();
}

// A typed attribute that parses must survive writing and re-parsing, with value_size() equal
// to the bytes written; one that cannot be re-encoded (over an encoding limit) must fail the
// builder cleanly. It is also added to `response`.
template <class A>
void round_trip(const MessageView& m, MessageBuilder& response) {
  auto a = m.get<A>();
  if (!a) return;
  MessageBuilder b(g_scratch, m.method(), Class::kSuccess, m.transaction_id());
  b.add(*a);
  Bytes out = b.finish();
  if (out.empty()) {
    require(!b.ok());
    return;
  }
  auto again = MessageView::parse(out);
  require(again.ok());
  auto raw = again->find(A::kType);
  require(raw.has_value() && raw->value.size() == a->value_size());
  require(again->get<A>().has_value());
  response.add(*a);
}

template <class... A>
void round_trip_all(const MessageView& m, MessageBuilder& response) {
  (round_trip<A>(m, response), ...);
}

void check_view(const MessageView& m, Bytes data) {
  require(looks_like_stun(data));
  require(m.attribute_count() <= kMaxAttributes);
  for (std::size_t i = 0; i < m.attribute_count(); ++i) {
    const RawAttribute& a = m.attribute(i);
    require(a.offset >= kHeaderSize && a.offset + 4 + a.value.size() <= data.size());
    require(a.value.data() == data.data() + a.offset + 4);
  }
  std::array<std::uint16_t, 16> unknown{};
  const std::size_t n = m.unknown_required(unknown);
  require(n <= unknown.size());
  for (std::size_t i = 0; i < n; ++i)
    require(unknown[i] < 0x8000 && !is_known_attribute(unknown[i]));
  (void)check_message_integrity(m, as_bytes(kKey));
  (void)check_message_integrity_sha256(m, as_bytes(kKey));
  require(check_fingerprint(m) == m.has_fingerprint());
}

void rebuild_response(const MessageView& m) {
  using namespace attr;  // NOLINT(google-build-using-namespace)
  MessageBuilder response(g_response, m.method(), Class::kSuccess, m.transaction_id());
  round_trip_all<
      MappedAddress, ResponseAddress, SourceAddress, ChangedAddress, ReflectedFrom, XorPeerAddress,
      XorRelayedAddress, XorMappedAddress, AlternateServer, ResponseOrigin, OtherAddress, Username,
      Realm, Nonce, Software, AlternateDomain, attr::ErrorCode, UnknownAttributes,
      PasswordAlgorithm, PasswordAlgorithms, Userhash, Priority, UseCandidate, IceControlled,
      IceControlling, ChangeRequest, ResponsePort, Padding, CacheTimeout, Lifetime, ChannelNumber,
      Data, RequestedTransport, RequestedAddressFamily, AdditionalAddressFamily, AddressErrorCode,
      EvenPort, DontFragment, ReservationToken, Icmp, ConnectionId, MobilityTicket>(m, response);
  response.add_message_integrity(as_bytes(kKey))
      .add_message_integrity_sha256(as_bytes(kKey))
      .add_fingerprint();
  Bytes out = response.finish();
  if (out.empty()) return;  // the attributes did not fit one message
  auto r = MessageView::parse(out);
  require(r.ok());
  require(check_message_integrity(*r, as_bytes(kKey)));
  require(check_message_integrity_sha256(*r, as_bytes(kKey)));
  require(check_fingerprint(*r));
}

void exercise_stun(Bytes data) {
  auto m = MessageView::parse(data);
  if (!m) return;
  check_view(*m, data);
  rebuild_response(*m);
  if (m->rfc3489()) {
    // RFC 3489 responses echo the 128-bit id.
    auto b = MessageBuilder::rfc3489(g_response, m->method(), Class::kSuccess, m->rfc3489_id());
    b.add(attr::MappedAddress{Address::v4({192, 0, 2, 1}, 3478)});
    auto r = MessageView::parse(b.finish());
    require(r.ok() && r->rfc3489());
  }
}

void exercise_channel_data(Bytes data) {
  for (bool stream : {false, true}) {
    auto c = ChannelDataView::parse(data, stream);
    if (!c) continue;
    require(is_channel_data(data) && is_valid_channel_number(c->channel));
    require(c->data.data() == data.data() + kChannelDataHeaderSize);
    require(kChannelDataHeaderSize + c->data.size() <= data.size());
  }
}

void exercise_framing(Bytes data) {
  std::size_t used = 0;
  while (used < data.size()) {
    const Bytes rest = data.subspan(used);
    const FrameResult f = next_frame(rest);
    if (f.status == FrameResult::kNeedMore)
      require(f.frame_size == 0 || f.frame_size > rest.size());
    if (f.status != FrameResult::kFrame) break;
    require(f.frame_size >= 4 && f.frame_size <= rest.size() && f.frame_size <= kMaxFrameSize);
    // Any shorter prefix of a frame is incomplete, never an error or a different frame.
    require(next_frame(rest.first(f.frame_size - 1)).status == FrameResult::kNeedMore);
    const Bytes frame = rest.first(f.frame_size);
    if (is_channel_data(frame)) {
      (void)ChannelDataView::parse(frame, true);
    } else {
      (void)MessageView::parse(frame);
    }
    used += f.frame_size;
  }
}

}  // namespace
}  // namespace ferry::stun

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ferry::Bytes input(data, size);
  ferry::stun::exercise_stun(input);
  ferry::stun::exercise_channel_data(input);
  ferry::stun::exercise_framing(input);
  return 0;
}
