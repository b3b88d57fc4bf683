// The state the stateful core fuzzer (fuzz_core.cc) drives and checks: the server under test
// and its fakes, the six clients with what they last sent and what the model says they hold
// (core_fuzz_model.h), and what the Egress has seen so far. Plain data; CoreFuzz decodes steps
// into it, Checks (core_fuzz_checks.h) holds the core to the invariants.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core_fuzz_model.h"
#include "ferry/auth/credential_store.h"
#include "ferry/auth/long_term_key.h"
#include "ferry/auth/nonce.h"
#include "ferry/auth/ticket.h"
#include "ferry/stun/attributes.h"
#include "ferry/stun/message.h"
#include "ferry/turn/counters.h"
#include "ferry/turn/dispatcher.h"
#include "ferry/turn/peer_policy.h"
#include "ferry/turn/quotas.h"
#include "ferry/turn/relay_registry.h"
#include "ferry/turn/settings.h"
#include "ferry/turn/tcp_relay.h"
#include "tracking_relays.h"

namespace ferry::testing::fuzz {

using stun::Method;
namespace attr = stun::attr;

inline constexpr std::size_t kTuples = 6;
inline constexpr std::string_view kRealm = "example.org";
inline constexpr std::array<std::string_view, 2> kUsers{"alice", "bob"};
inline constexpr std::array<std::string_view, 2> kPasswords{"secret", "hunter2"};
inline constexpr std::size_t kUserQuota = 3;
inline constexpr std::size_t kTotalQuota = 5;

inline Address v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d,
                  std::uint16_t port) {
  return Address::v4({a, b, c, d}, port);
}
inline Address v6(std::array<std::uint8_t, 16> ip, std::uint16_t port) {
  return Address::v6(ip, port);
}
// The server's two addresses: listening (port 3478) and relay IPs, both refused as peers
// except on open relay ports (a host address, and private / ULA).
inline const Address kHost4 = v4(10, 0, 0, 1, 0);
inline const Address kHost6 = v6({0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 0);

inline Address with_port(Address a, std::uint16_t port) {
  a.set_port(port);
  return a;
}

inline bool same_bytes(Bytes a, Bytes b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// A structured request: what the client asked for, kept to update the model from the answer.
struct Spec {
  Method method = Method::kAllocate;
  bool transport = true;
  std::uint8_t protocol = attr::RequestedTransport::kUdp;
  bool even = false;
  bool reserve = false;
  bool token = false;
  turn::RelayAllocator::Token token_value{};
  bool lifetime = false;
  std::uint32_t lifetime_value = 0;
  bool family = false;
  std::uint8_t family_value = 1;
  bool dont_fragment = false;
  bool additional = false;
  std::uint8_t additional_value = 2;
  bool fingerprint = false;
  bool unknown = false;
  bool after_mi = false;  // LIFETIME 0 and a refused peer after MESSAGE-INTEGRITY: ignored
  // RFC 8016: an empty MOBILITY-TICKET on Allocate and Refresh (asks for a ticket; from a
  // 5-tuple without an allocation, an empty ticket names nothing: 400). Nothing ever moves.
  bool ticket = false;
  std::array<Address, 3> peers{};
  std::size_t npeers = 0;
  bool number = false;
  std::uint16_t number_value = 0;
  bool connection_id = false;  // ConnectionBind: CONNECTION-ID (RFC 6062 §6.2.1)
  std::uint32_t connection_id_value = 0;
};

// How the request is signed.
enum CredMode : int {
  kAuto0,  // right key; challenge first when no nonce is known, retry once on 438
  kAuto1,
  kAuto2,
  kNoRetry,        // right key and the nonce last seen, as it is
  kWrongPassword,  // -> 401
  kUnknownUser,    // -> 401
  kUnsigned,       // -> 401
  kBadNonce,       // -> 438
  kNoNonce,        // -> 400
  kOtherNonce,     // the nonce another 5-tuple got (valid only from the same IP)
  kWrongRealm,     // -> 401
  kNoUsername,     // -> 400
  kCredModes
};
struct Cred {
  int mode = kAuto0;
  bool other_user = false;
  // MESSAGE-INTEGRITY-SHA256 instead of MESSAGE-INTEGRITY, with the MD5 key: without
  // PASSWORD-ALGORITHM(S) the request is processed as MD5 (RFC 8489 §9.2.4), so it may pass.
  bool sha256 = false;
  // RFC 8489 §9.2.5: PASSWORD-ALGORITHMS echoed (as the 401 sent it, or cut to MD5 alone: 400)
  // and PASSWORD-ALGORITHM MD5; answers then carry MESSAGE-INTEGRITY-SHA256.
  bool algorithms = false;
  bool cut_list = false;
  bool mutate = false;  // flip one byte of the finished message
  std::uint8_t mutate_at = 0;
  std::uint8_t mutate_xor = 1;
};
inline bool auto_mode(int mode) {
  return mode == kAuto0 || mode == kAuto1 || mode == kAuto2;
}

enum class Kind : std::uint8_t { kRequest, kSend, kChannelData, kBinding, kRaw };
struct Sent {
  Kind kind = Kind::kRaw;
  Spec spec;
  int user = -1;             // signed as kUsers[user] with the right key (else -1)
  bool may_succeed = false;  // right key, SHA-1 integrity, a NONCE: success is possible
  bool has_peer = false;
  bool has_data = false;       // well-formed data: it must arrive when permitted
  bool dont_fragment = false;  // a Send indication carrying DONT-FRAGMENT
  Address peer;
  std::uint16_t number = 0;
  std::array<std::uint8_t, 32> payload{};
  std::size_t payload_len = 0;
  Bytes payload_bytes() const { return Bytes(payload.data(), payload_len); }
};

struct Client {
  FiveTuple tuple;
  int user = 0;
  std::array<char, 128> nonce{};
  std::size_t nonce_len = 0;
  std::array<std::uint8_t, 1500> last{};  // the last packet sent, for retransmission
  std::size_t last_len = 0;
  Sent last_sent;
  Model m;
  std::string_view nonce_view() const { return {nonce.data(), nonce_len}; }
};

struct ReplyInfo {
  bool answered = false;
  bool success = false;
  std::uint16_t code = 0;
};

// RFC 6062's network side for the fuzzer: what the core asked for (listeners, connections
// made by Connect, binds, refusals), so that later steps can complete, fail or close those
// connections, and so that nothing is left when every allocation has ended.
struct TcpNet : turn::TcpRelayNet {
  enum class State : std::uint8_t { kConnecting, kPending, kBound };
  struct Conn {
    turn::ConnectionId id = 0;
    turn::RelayId relay = 0;
    Address peer;
    State state = State::kConnecting;
  };
  std::vector<turn::RelayId> listening;
  std::vector<Conn> conns;
  turn::ConnectionId next_id = 0;
  // The last bind() in the current step: the 5-tuple must have got a ConnectionBind success.
  std::optional<std::pair<turn::ConnectionId, FiveTuple>> bound;
  std::size_t refused = 0;

  void reset() {
    listening.clear();
    conns.clear();
    next_id = 0;
    bound.reset();
    refused = 0;
  }
  bool listens(turn::RelayId r) const {
    return std::find(listening.begin(), listening.end(), r) != listening.end();
  }
  Conn* find(turn::ConnectionId id) {
    for (auto& c : conns) {
      if (c.id == id) return &c;
    }
    return nullptr;
  }
  void erase(turn::ConnectionId id) {
    std::erase_if(conns, [id](const Conn& c) { return c.id == id; });
  }
  bool listen(const turn::Relay& r, const Address& /*client*/) override {
    require(!listens(r.id), "a relay listened on twice");
    listening.push_back(r.id);
    return true;
  }
  void close_relay(turn::RelayId r) override {
    require(listens(r), "a relay that does not listen was closed as a TCP relay");
    std::erase(listening, r);
    std::erase_if(conns, [r](const Conn& c) { return c.relay == r; });
  }
  Result<turn::ConnectionId> connect(turn::RelayId r, const Address& peer) override {
    require(listens(r), "a Connect from a relay that is no TCP relay");
    conns.push_back({++next_id, r, peer, State::kConnecting});
    return next_id;
  }
  void bind(turn::ConnectionId id, const FiveTuple& data) override {
    Conn* c = find(id);
    require(c != nullptr && c->state == State::kPending, "a connection bound that is not pending");
    c->state = State::kBound;
    bound.emplace(id, data);
  }
  void refuse(const FiveTuple& /*data*/) override { ++refused; }
  bool is_tcp_relay(const Address& /*peer*/) const override { return false; }
};

inline turn::Settings base_settings() {
  turn::Settings s;
  s.unauthenticated_response_rate = 0;  // the world turns it on per input (fuzz_core.cc)
  s.turn_enabled = true;
  s.auth_required = true;
  s.realm = std::string(kRealm);
  s.default_lifetime = Seconds(600);
  s.max_lifetime = Seconds(1800);
  s.max_permissions = 4;
  s.max_channels = 3;
  // The documentation ranges stand for the internet (tests' convention, turn_client_fake.h).
  for (const char* r : {"192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"})
    s.peers.allowed.push_back(*turn::AddressRange::parse(r));
  s.peers.own_addresses = {with_port(kHost4, 3478), with_port(kHost6, 3478)};
  s.mobility = true;
  return s;
}

struct World {
  World()
      : settings(base_settings()),
        users(std::string(kRealm)),
        nonces(auth::NonceCodec::Key{0x42}),
        registry({kHost4, kHost6}),
        policy(settings.peers, &registry),
        trace(std::getenv("FERRY_FUZZ_CORE_TRACE") != nullptr) {
    for (std::size_t u = 0; u < kUsers.size(); ++u) {
      std::string entry = std::string(kUsers[u]) + ":" + std::string(kPasswords[u]);
      if (!users.add(entry)) violation("harness: cannot add a user");
      keys[u] = auth::md5_key(kUsers[u], kRealm, kPasswords[u]);
      wrong_keys[u] = auth::md5_key(kUsers[u], kRealm, "wrong");
      other_realm_keys[u] = auth::md5_key(kUsers[u], "evil.org", kPasswords[u]);
    }
    mallory_key = auth::md5_key("mallory", kRealm, "x");
    policy.set_host_addresses({kHost4, kHost6});
    const Address s4 = with_port(kHost4, 3478);
    const Address s6 = with_port(kHost6, 3478);
    const std::array<FiveTuple, kTuples> tuples{{
        {v4(192, 0, 2, 10, 4000), s4, Transport::kUdp},
        {v4(192, 0, 2, 11, 4001), s4, Transport::kUdp},
        {v4(198, 51, 100, 7, 5000), s4, Transport::kTcp},
        {v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10}, 4000), s6,
         Transport::kUdp},
        {v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x11}, 4002), s6,
         Transport::kTcp},
        // The same client address as tuple 0, over TCP: another 5-tuple, the same nonce IP.
        {v4(192, 0, 2, 10, 4000), s4, Transport::kTcp},
    }};
    for (std::size_t i = 0; i < kTuples; ++i) {
      clients[i].tuple = tuples[i];
      clients[i].user = (i == 1 || i == 4) ? 1 : 0;
    }
  }

  bool bandwidth_limited() const {
    return settings.max_bps != 0 || settings.worker_bps_capacity != 0;
  }

  void log(const char* what, int ti, long detail = 0) const {
    if (trace) std::fprintf(stderr, "step %zu: %s (tuple %d) %ld\n", step, what, ti, detail);
  }

  bool certainly_alive(const Model& m) const { return m.alive && now < m.end().lo; }

  // The client whose (TCP) allocation has relay `relay`, -1 if none.
  int tcp_owner(turn::RelayId relay) const {
    for (std::size_t i = 0; i < kTuples; ++i) {
      const Model& m = clients[i].m;
      if (m.alive && m.tcp && m.relay == relay) return static_cast<int>(i);
    }
    return -1;
  }

  // Whether the core has a relay address of family `f` for client `t` (relay-ip, else the
  // address the client reached or another listening address), as RFC 8656 §7.2 asks.
  bool has_relay_address(const FiveTuple& t, Family f) const {
    if (!settings.relay_ips.empty()) {
      return std::any_of(settings.relay_ips.begin(), settings.relay_ips.end(),
                         [f](const Address& a) { return a.family() == f; });
    }
    if (t.server.family() == f) return true;
    return std::any_of(settings.listening_ips.begin(), settings.listening_ips.end(),
                       [f](const Address& a) { return a.family() == f && !a.is_any(); });
  }
  // The relay family of an Allocate without REQUESTED-ADDRESS-FAMILY: the configured default
  // (allocation-default-address-family), or without relay-ip and an address of it, the family
  // of the address the client reached.
  Family default_family(const FiveTuple& t) const {
    Family want = Family::kV4;
    if (settings.default_family == turn::DefaultFamily::kIpv6) want = Family::kV6;
    if (settings.default_family == turn::DefaultFamily::kKeep) want = t.client.family();
    if (settings.relay_ips.empty() && !has_relay_address(t, want)) return t.server.family();
    return want;
  }

  // Addresses no client may ever reach here, decided without the core's PeerPolicy: the
  // host's own (an open relay excepted), loopback, unspecified, multicast, link-local,
  // private/ULA; IPv4-mapped forms alike.
  bool forbidden(const Address& p) const {
    if (p.empty() || p.is_any() || p.is_loopback()) return true;
    Address ip4 = p;
    if (p.is_v6()) {
      const auto& r = p.raw();
      if (r[0] == 0xFF || (r[0] == 0xFE && (r[1] & 0xC0) == 0x80)) return true;
      const bool mapped = std::all_of(r.begin(), r.begin() + 10, [](auto x) { return x == 0; }) &&
                          r[10] == 0xFF && r[11] == 0xFF;
      if (!mapped) {
        if (p.same_ip(kHost6)) return !relays.open_at(p);
        return (r[0] & 0xFE) == 0xFC;
      }
      ip4 = v4(r[12], r[13], r[14], r[15], p.port());
      if (ip4.same_ip(kHost4)) return true;  // a mapped form is never a relay's address
    }
    const auto& r = ip4.raw();
    if (r[0] == 0 || r[0] == 127 || r[0] >= 224 || (r[0] == 169 && r[1] == 254)) return true;
    if (ip4.same_ip(kHost4)) return !relays.open_at(p);
    return r[0] == 10 || (r[0] == 172 && (r[1] & 0xF0) == 16) || (r[0] == 192 && r[1] == 168);
  }

  turn::Settings settings;
  auth::StaticUsers users;
  auth::NonceCodec nonces;
  turn::RelayRegistry registry;
  turn::PeerPolicy policy;
  bool trace;  // FERRY_FUZZ_CORE_TRACE: print each step to stderr
  std::array<auth::Md5Key, 2> keys{};
  std::array<auth::Md5Key, 2> wrong_keys{};
  std::array<auth::Md5Key, 2> other_realm_keys{};
  auth::Md5Key mallory_key{};

  auth::TicketCodec tickets{auth::TicketCodec::Key{0x24}};
  std::optional<turn::Quotas> quotas;
  TrackingRelays relays;
  TcpNet tcp;
  bool tcp_on = false;  // the server has the TCP relay network (else TCP allocations are 442)
  Recorder egress;
  std::unique_ptr<turn::Dispatcher> server;
  std::size_t capacity = TrackingRelays::kMaxIds;
  std::size_t max_held = 4;
  std::size_t per_ip_quota = 0;
  TimePoint now{};
  TimePoint start{};
  std::uint64_t bytes_to_peer = 0;  // relayed by the whole server, each direction
  std::uint64_t bytes_to_client = 0;
  // What the Egress saw, to hold the core's counters (its metrics) to.
  std::uint64_t packets_to_peer = 0;
  std::uint64_t packets_to_client = 0;
  std::uint64_t binding_answers = 0;
  std::array<std::uint64_t, turn::kErrorCodes.size() + 1> errors{};
  bool ticked = false;  // expire() ran at this `now`
  std::size_t step = 0;
  std::uint64_t tid_counter = 0;
  std::array<Client, kTuples> clients{};
  std::array<turn::RelayAllocator::Token, 4> tokens{};
  std::size_t ntokens = 0;
};

}  // namespace ferry::testing::fuzz
