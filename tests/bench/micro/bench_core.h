// The protocol core wired for benchmarks: an Egress that counts and never allocates, a relay
// allocator that recycles ids (no sockets), and a minimal client that allocates and binds channels
// through the real request path (unauthenticated Allocate -> 401 with REALM and NONCE -> requests
// with USERNAME, REALM, NONCE and MESSAGE-INTEGRITY keyed with md5_key, RFC 8489 §9.2).
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/auth/credential_store.h"
#include "ferry/auth/long_term_key.h"
#include "ferry/auth/nonce.h"
#include "ferry/stun/attributes.h"
#include "ferry/stun/channel_data.h"
#include "ferry/stun/message.h"
#include "ferry/turn/dispatcher.h"
#include "ferry/turn/egress.h"
#include "ferry/turn/quotas.h"

namespace ferry::bench {

inline constexpr std::string_view kUser = "alice";
inline constexpr std::string_view kPassword = "secret";
inline constexpr std::string_view kRealm = "example.org";
inline constexpr std::uint16_t kChannel = 0x4000;

// Counts what the core sends. Nothing is copied unless `capture` is on (setup only), so the
// timed loops measure the core and a virtual call, not the fake.
struct CountingEgress final : turn::Egress {
  std::uint64_t to_client_count = 0;
  std::uint64_t to_peer_count = 0;
  std::uint64_t bytes = 0;
  bool capture = false;
  std::array<std::uint8_t, 1500> last{};
  std::size_t last_size = 0;

  void to_client(const FiveTuple&, Bytes d) override {
    ++to_client_count;
    bytes += d.size();
    if (capture && d.size() <= last.size()) {
      std::memcpy(last.data(), d.data(), d.size());
      last_size = d.size();
    }
  }
  void to_peer(turn::RelayId, const Address&, Bytes d) override {
    ++to_peer_count;
    bytes += d.size();
  }
  void to_peer_dont_fragment(turn::RelayId r, const Address& p, Bytes d) override {
    to_peer(r, p, d);
  }
  Bytes last_reply() const { return Bytes(last.data(), last_size); }
};

// Relay ids 0, 1, 2, ... with closed ones reused; the ports are made up.
struct PoolRelays final : turn::RelayAllocator {
  PoolRelays() { free_ids.reserve(1 << 16); }
  std::vector<turn::RelayId> free_ids;
  turn::RelayId next = 0;
  turn::RelayId last_opened = 0;

  Result<turn::Relay> open(const Address& ip, bool) override {
    turn::RelayId id = next;
    if (free_ids.empty()) {
      ++next;
    } else {
      id = free_ids.back();
      free_ids.pop_back();
    }
    last_opened = id;
    Address a = ip;
    a.set_port(static_cast<std::uint16_t>(10000 + id % 50000));
    return turn::Relay{id, a};
  }
  void close(turn::RelayId id) override { free_ids.push_back(id); }
  bool can_dont_fragment() const override { return true; }
  bool set_dont_fragment(turn::RelayId) override { return true; }
  Result<Token> reserve(const Address&, std::string_view, const turn::RealmLimits&,
                        TimePoint) override {
    return Error{"not offered"};
  }
  Result<turn::Relay> claim(const Token&, TimePoint) override { return Error{"not offered"}; }
};

// One worker's core with TURN on and one user (alice:secret in example.org). The clock stands
// still, so nothing expires during a benchmark. Not movable (Quotas holds a mutex).
struct Core {
  Core() {
    settings.turn_enabled = true;
    settings.realm = std::string(kRealm);
    settings.unauthenticated_response_rate = 0;  // a benchmark's one source sends far more
    // The lookups are measured up to 1,000 channels and permissions per allocation, beyond the
    // server's defaults (max-channels-per-allocation, max-permissions-per-allocation).
    settings.max_permissions = 4096;
    settings.max_channels = 4096;
    (void)users.add(std::string(kUser) + ":" + std::string(kPassword));
    server = std::make_unique<turn::Dispatcher>(
        turn::Dependencies{settings, egress, relays, users, nonces, quotas, &open_relays});
  }
  turn::Settings settings;
  CountingEgress egress;
  PoolRelays relays;
  auth::StaticUsers users{std::string(kRealm)};
  auth::NonceCodec nonces{auth::NonceCodec::Key{7}};
  turn::Quotas quotas{0, 0};
  // As in the server: every peer check also asks whether the peer is one of our relays.
  turn::RelayRegistry open_relays{{*Address::parse_ip("192.0.2.1")}};
  std::unique_ptr<turn::Dispatcher> server;
  TimePoint now = TimePoint(Seconds(1000000));
  auth::Md5Key key = auth::md5_key(kUser, kRealm, kPassword);
};

inline Address v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d,
                  std::uint16_t port) {
  return Address::v4({a, b, c, d}, port);
}

// The i-th client over UDP: an address in 198.18.0.0/15 (RFC 2544's benchmarking range).
inline FiveTuple client_tuple(std::uint32_t i) {
  return {
      v4(198, static_cast<std::uint8_t>(18 + ((i >> 16) & 1)), static_cast<std::uint8_t>(i >> 8),
         static_cast<std::uint8_t>(i), static_cast<std::uint16_t>(40000 + (i >> 17))),
      v4(192, 0, 2, 1, 3478), Transport::kUdp};
}

// A peer the default peer policy permits: a global unicast address, so the benchmark runs the
// policy's full default path. Nothing is sent to it: the core runs against a fake Egress.
// (The documentation ranges are refused since issue 16's deny list.)
inline Address peer_address(std::uint16_t port = 7000) {
  return v4(8, 8, 4, 4, port);
}

inline stun::TransactionId make_tid(std::uint32_t a, std::uint32_t b) {
  stun::TransactionId t{};
  store_be32(t.data(), a);
  store_be32(t.data() + 4, 0xC1C1C1C1);
  store_be32(t.data() + 8, b);
  return t;
}

// A request: `attrs(b)` adds the method's attributes; with a nonce it is signed like a
// long-term-credential client does (USERNAME, REALM, NONCE, MESSAGE-INTEGRITY).
template <class F>
Bytes build_request(MutableBytes buf, stun::Method method, const stun::TransactionId& tid,
                    std::string_view nonce, const auth::Md5Key& key, F&& attrs) {
  stun::MessageBuilder b(buf, method, stun::Class::kRequest, tid);
  attrs(b);
  if (!nonce.empty()) {
    b.add(stun::attr::Username{kUser});
    b.add(stun::attr::Realm{kRealm});
    b.add(stun::attr::Nonce{nonce});
    b.add_message_integrity(Bytes(key.data(), key.size()));
  }
  return b.finish();
}

inline void add_udp(stun::MessageBuilder& b) {
  b.add(stun::attr::RequestedTransport{stun::attr::RequestedTransport::kUdp});
}

// A TURN client of `core` on one 5-tuple; every call returns false unless the server answered
// as a correct server would.
class Client {
 public:
  Client(Core& core, FiveTuple tuple) : core_(core), tuple_(tuple) {}

  const FiveTuple& tuple() const { return tuple_; }
  turn::RelayId relay() const { return relay_; }

  // Builds the next request (a fresh transaction id), signed once a nonce is known.
  template <class F>
  Bytes build(MutableBytes buf, stun::Method method, bool sign, F&& attrs) {
    tid_ = make_tid(tuple_.client.hash() & 0xFFFFFFFF, ++counter_);
    return build_request(buf, method, tid_, sign ? nonce_ : std::string_view{}, core_.key, attrs);
  }

  // Sends a request; the class of the reply to it (std::nullopt: none, or not to this request).
  template <class F>
  std::optional<stun::Class> request(stun::Method method, bool sign, F&& attrs) {
    Bytes req = build(buf_, method, sign, attrs);
    core_.egress.capture = true;
    core_.egress.last_size = 0;
    core_.server->on_client_packet(tuple_, req, core_.now);
    core_.egress.capture = false;
    auto reply = stun::MessageView::parse(core_.egress.last_reply());
    if (!reply || reply->transaction_id() != tid_) return std::nullopt;
    if (auto n = reply->get<stun::attr::Nonce>()) nonce_.assign(n->value);
    return reply->cls();
  }

  // The 401 round trip: an Allocate without credentials is answered with REALM and NONCE.
  bool challenge() {
    return request(stun::Method::kAllocate, false, add_udp) == stun::Class::kError &&
           !nonce_.empty();
  }
  bool allocate() {
    if (!challenge() || request(stun::Method::kAllocate, true, add_udp) != stun::Class::kSuccess) {
      return false;
    }
    relay_ = core_.relays.last_opened;
    return true;
  }
  bool channel_bind(std::uint16_t number, const Address& peer) {
    return request(stun::Method::kChannelBind, true, [&](stun::MessageBuilder& b) {
             b.add(stun::attr::ChannelNumber{number});
             b.add(stun::attr::XorPeerAddress{peer});
           }) == stun::Class::kSuccess;
  }

 private:
  Core& core_;
  FiveTuple tuple_;
  std::string nonce_;
  stun::TransactionId tid_{};
  std::uint32_t counter_ = 0;
  turn::RelayId relay_ = 0;
  std::array<std::uint8_t, 1500> buf_{};
};

// A ChannelData frame (RFC 8656 §12.4) with `size` bytes of payload.
inline std::vector<std::uint8_t> channel_data_frame(std::uint16_t channel, std::size_t size) {
  std::vector<std::uint8_t> frame(stun::kChannelDataHeaderSize + size, 0x5A);
  stun::write_channel_data_header(frame.data(), channel, static_cast<std::uint16_t>(size));
  return frame;
}

inline Bytes bytes_of(const std::vector<std::uint8_t>& v) {
  return Bytes(v.data(), v.size());
}

}  // namespace ferry::bench
