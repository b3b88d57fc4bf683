// A tiny in-test TURN client for the core's unit tests: builds requests the way a real client
// does (unauthenticated Allocate -> 401 with REALM and NONCE -> requests carrying USERNAME,
// REALM, NONCE and MESSAGE-INTEGRITY keyed with md5_key(user, realm, password)), hands them to
// the harness's Dispatcher and parses what the RecordingEgress got back. No sockets, no clock.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core_harness.h"
#include "ferry/auth/long_term_key.h"
#include "ferry/stun/attributes.h"
#include "ferry/stun/channel_data.h"
#include "ferry/stun/message.h"

namespace ferry::testing {

// CoreHarness with allocation quotas: turn::Quotas holds a mutex, so the harness's own member
// cannot be replaced; this variant wires `limited` into the server instead.
struct QuotaHarness : CoreHarness {
  QuotaHarness(std::size_t user_quota, std::size_t total_quota)
      : limited(user_quota, total_quota) {}
  // The server returns its allocations' quota units when it goes: before `limited` does (a
  // member of this class, destroyed before the base's `server`).
  ~QuotaHarness() { server.reset(); }
  turn::Quotas limited;
  void start() {
    server = std::make_unique<turn::Dispatcher>(
        turn::Dependencies{settings, egress, relays, users, nonces, limited});
  }
};

inline Address addr(const char* endpoint) {
  auto a = Address::parse_endpoint(endpoint);
  EXPECT_TRUE(a.has_value()) << endpoint;
  return a.value_or(Address{});
}

// One parsed reply. The bytes are shared so that copies keep the view valid.
class Reply {
 public:
  Reply() = default;
  explicit Reply(std::vector<std::uint8_t> bytes)
      : bytes_(std::make_shared<std::vector<std::uint8_t>>(std::move(bytes))) {
    auto m = stun::MessageView::parse(Bytes(bytes_->data(), bytes_->size()));
    if (m) view_ = *m;
  }
  bool ok() const { return view_.has_value(); }
  const stun::MessageView& msg() const { return *view_; }
  const std::vector<std::uint8_t>& bytes() const { return *bytes_; }
  bool success() const { return ok() && view_->cls() == stun::Class::kSuccess; }
  // The ERROR-CODE of an error response, 0 for anything else.
  std::uint16_t error() const {
    if (!ok() || view_->cls() != stun::Class::kError) return 0;
    auto e = view_->get<stun::attr::ErrorCode>();
    return e ? e->code : 0;
  }
  template <class A>
  std::optional<A> get() const {
    return ok() ? view_->get<A>() : std::nullopt;
  }
  bool has_integrity() const { return ok() && view_->message_integrity().has_value(); }
  bool integrity_ok(const auth::Md5Key& key) const {
    return has_integrity() && stun::check_message_integrity(*view_, Bytes(key.data(), key.size()));
  }

 private:
  std::shared_ptr<std::vector<std::uint8_t>> bytes_;
  std::optional<stun::MessageView> view_;
};

using Attrs = std::function<void(stun::MessageBuilder&)>;

class TurnClient {
 public:
  struct Options {
    bool sign = true;         // USERNAME, REALM, NONCE and MESSAGE-INTEGRITY (when credentialed)
    bool send_nonce = true;   // leave NONCE out to provoke a 400
    bool retry_stale = true;  // a 438 is answered by retrying once with its fresh NONCE
    Attrs after_mi;           // attributes placed after MESSAGE-INTEGRITY (to be ignored)
    std::optional<stun::TransactionId> tid;
  };

  TurnClient(CoreHarness& h, FiveTuple tuple, std::string user = "alice",
             std::string password = "secret")
      : h_(h), tuple_(std::move(tuple)), user_(std::move(user)), password_(std::move(password)) {
    tid_seed_ = static_cast<std::uint8_t>(tuple_.client.port() ^ tuple_.client.raw()[3]);
  }

  const FiveTuple& tuple() const { return tuple_; }
  // No USERNAME/MESSAGE-INTEGRITY at all (a client of a `no-auth` server).
  void set_anonymous() { anonymous_ = true; }
  void set_password(std::string p) { password_ = std::move(p); }
  void set_user(std::string u) { user_ = std::move(u); }
  void set_nonce(std::string n) { nonce_ = std::move(n); }
  void set_realm(std::string r) { realm_ = std::move(r); }
  // ORIGIN (0x802F) in every request from now on (empty: none).
  void set_origin(std::string o) { origin_ = std::move(o); }
  const std::string& nonce() const { return nonce_; }
  const std::string& realm() const { return realm_; }
  auth::Md5Key key() const { return auth::md5_key(user_, realm_, password_); }
  const stun::TransactionId& last_tid() const { return last_tid_; }
  const Reply& last() const { return last_; }

  // Sends one request and returns the reply sent back to this 5-tuple (empty when none).
  Reply request(stun::Method method, const Attrs& attrs, const Options& o) {
    Reply r = send_once(method, attrs, o);
    if (r.error() == 438 && o.retry_stale && o.sign && !anonymous_) {
      Options again = o;
      again.tid.reset();
      r = send_once(method, attrs, again);
    }
    return r;
  }
  Reply request(stun::Method method, const Attrs& attrs = {}) {
    return request(method, attrs, Options{});
  }

  // An Allocate without credentials: the 401 gives REALM and NONCE.
  Reply challenge(const Attrs& attrs = udp()) {
    Options o;
    o.sign = false;
    return request(stun::Method::kAllocate, attrs, o);
  }
  // Challenge if no nonce is known yet, then the authenticated Allocate (UDP unless `attrs`
  // says otherwise: pass a lambda that adds REQUESTED-TRANSPORT itself).
  Reply allocate(const Attrs& attrs = udp()) {
    if (nonce_.empty() && !anonymous_) challenge();
    return request(stun::Method::kAllocate, attrs);
  }
  Reply refresh(std::optional<std::uint32_t> lifetime) {
    return request(stun::Method::kRefresh, [lifetime](stun::MessageBuilder& b) {
      if (lifetime) b.add(stun::attr::Lifetime{*lifetime});
    });
  }
  Reply create_permission(std::vector<Address> peers) {
    return request(stun::Method::kCreatePermission, [peers](stun::MessageBuilder& b) {
      for (const auto& p : peers) b.add(stun::attr::XorPeerAddress{p});
    });
  }
  Reply channel_bind(std::uint16_t number, const Address& peer) {
    return request(stun::Method::kChannelBind, [number, peer](stun::MessageBuilder& b) {
      b.add(stun::attr::ChannelNumber{number});
      b.add(stun::attr::XorPeerAddress{peer});
    });
  }

  // Data path: returns how many packets were sent back to this client (indications: none).
  std::size_t send_indication(const Address& peer, Bytes data, bool dont_fragment = false) {
    stun::MessageBuilder b(buf_, stun::Method::kSend, stun::Class::kIndication, next_tid());
    b.add(stun::attr::XorPeerAddress{peer});
    b.add(stun::attr::Data{data});
    if (dont_fragment) b.add(stun::attr::DontFragment{});  // RFC 8656 §11.1
    return deliver(b.finish());
  }
  std::size_t channel_data(std::uint16_t number, Bytes payload) {
    std::size_t len = 4 + payload.size();
    if (tuple_.transport != Transport::kUdp) len = stun::padded_size(len);
    std::vector<std::uint8_t> frame(len, 0);
    stun::write_channel_data_header(frame.data(), number,
                                    static_cast<std::uint16_t>(payload.size()));
    std::copy(payload.begin(), payload.end(), frame.begin() + 4);
    return deliver(Bytes(frame.data(), frame.size()));
  }

  static Attrs udp() {
    return [](stun::MessageBuilder& b) {
      b.add(stun::attr::RequestedTransport{stun::attr::RequestedTransport::kUdp});
    };
  }

 private:
  stun::TransactionId next_tid() {
    stun::TransactionId t{};
    t[0] = tid_seed_;
    t[1] = 0xC1;
    ++tid_counter_;
    for (std::size_t i = 0; i < 4; ++i)
      t[8 + i] = static_cast<std::uint8_t>(tid_counter_ >> (8 * i));
    return t;
  }

  std::size_t deliver(Bytes packet) {
    const std::size_t before = h_.egress.client.size();
    h_.server->on_client_packet(tuple_, packet, h_.now);
    std::size_t n = 0;
    for (std::size_t i = before; i < h_.egress.client.size(); ++i) {
      if (h_.egress.client[i].tuple == tuple_) ++n;
    }
    return n;
  }

  Reply send_once(stun::Method method, const Attrs& attrs, const Options& o) {
    last_tid_ = o.tid ? *o.tid : next_tid();
    stun::MessageBuilder b(buf_, method, stun::Class::kRequest, last_tid_);
    if (attrs) attrs(b);
    if (!origin_.empty()) b.add(stun::attr::Origin{origin_});
    const bool sign = o.sign && !anonymous_;
    if (sign) {
      b.add(stun::attr::Username{user_});
      b.add(stun::attr::Realm{realm_});
      if (o.send_nonce) b.add(stun::attr::Nonce{nonce_});
      auto k = key();
      b.add_message_integrity(Bytes(k.data(), k.size()));
    }
    if (o.after_mi) o.after_mi(b);
    Bytes packet = b.finish();
    EXPECT_FALSE(packet.empty());
    const std::size_t before = h_.egress.client.size();
    h_.server->on_client_packet(tuple_, packet, h_.now);
    Reply r;
    for (std::size_t i = before; i < h_.egress.client.size(); ++i) {
      if (h_.egress.client[i].tuple == tuple_) r = Reply(h_.egress.client[i].data);
    }
    if (auto n = r.get<stun::attr::Nonce>()) nonce_ = std::string(n->value);
    if (auto rl = r.get<stun::attr::Realm>()) realm_ = std::string(rl->value);
    last_ = r;
    return r;
  }

  CoreHarness& h_;
  FiveTuple tuple_;
  std::string user_;
  std::string password_;
  std::string realm_;
  std::string nonce_;
  std::string origin_;
  bool anonymous_ = false;
  std::uint8_t tid_seed_ = 0;
  std::uint32_t tid_counter_ = 0;
  stun::TransactionId last_tid_{};
  Reply last_;
  std::array<std::uint8_t, 1500> buf_{};
};

// Settings most tests share: TURN on, long-term credentials for alice and bob in example.org,
// and the documentation ranges the tests use as peers (RFC 5737, RFC 3849) opened the way an
// operator opens a refused block, with allowed-peer-ip: the built-in list refuses them
// (docs/deny-list.md).
inline void enable_turn(CoreHarness& h) {
  h.settings.turn_enabled = true;
  h.settings.realm = "example.org";
  for (const char* documentation :
       {"192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"}) {
    h.settings.peers.allowed.push_back(*turn::AddressRange::parse(documentation));
  }
  EXPECT_TRUE(h.users.add("alice:secret"));
  EXPECT_TRUE(h.users.add("bob:hunter2"));
}

inline FiveTuple udp_tuple(const char* client, const char* server = "192.0.2.1:3478") {
  return {addr(client), addr(server), Transport::kUdp};
}
inline FiveTuple tcp_tuple(const char* client, const char* server = "192.0.2.1:3478") {
  return {addr(client), addr(server), Transport::kTcp};
}

inline Bytes bytes_of(const std::vector<std::uint8_t>& v) {
  return Bytes(v.data(), v.size());
}

}  // namespace ferry::testing
