// Fakes for unit tests of the protocol core: an Egress that records, a RelayAllocator that
// hands out addresses without sockets, and a harness wiring a Dispatcher to them with a fake clock.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "ferry/auth/credential_store.h"
#include "ferry/auth/nonce.h"
#include "ferry/stun/message.h"
#include "ferry/turn/dispatcher.h"
#include "ferry/turn/egress.h"
#include "ferry/turn/quotas.h"
#include "ferry/turn/relay_registry.h"
#include "ferry/turn/tcp_relay.h"

namespace ferry::testing {

struct RecordingEgress : turn::Egress {
  struct ToClient {
    FiveTuple tuple;
    std::vector<std::uint8_t> data;
  };
  struct ToPeer {
    turn::RelayId relay;
    Address peer;
    std::vector<std::uint8_t> data;
    bool dont_fragment = false;  // sent through to_peer_dont_fragment
  };
  std::vector<ToClient> client;
  std::vector<ToPeer> peer;
  void to_client(const FiveTuple& t, Bytes d) override {
    client.push_back({t, std::vector<std::uint8_t>(d.begin(), d.end())});
  }
  void to_peer(turn::RelayId r, const Address& p, Bytes d) override {
    peer.push_back({r, p, std::vector<std::uint8_t>(d.begin(), d.end())});
  }
  void to_peer_dont_fragment(turn::RelayId r, const Address& p, Bytes d) override {
    peer.push_back({r, p, std::vector<std::uint8_t>(d.begin(), d.end()), true});
  }
  void clear() {
    client.clear();
    peer.clear();
  }
};

// Ports from 50000 upwards; `capacity` relays at most at once (then open() fails: 508), and
// none on an IP listed in `full` (a family whose ports are all taken).
struct FakeRelays : turn::RelayAllocator {
  std::size_t capacity = 1000;
  std::vector<Address> full;
  std::vector<bool> open_ids;
  std::vector<Address> addresses;   // by id
  std::vector<bool> dont_fragment;  // by id: set_dont_fragment() was called
  bool df_supported = true;         // can_dont_fragment()
  std::size_t open_count = 0;
  Result<turn::Relay> open(const Address& ip, bool even_port) override {
    if (open_count >= capacity) return Error{"exhausted"};
    for (const auto& f : full) {
      if (f.same_ip(ip)) return Error{"exhausted"};
    }
    auto id = static_cast<turn::RelayId>(open_ids.size());
    Address a = ip;
    a.set_port(static_cast<std::uint16_t>(50000 + 2 * id + (even_port ? 0 : 1)));
    return adopt(a);
  }
  void close(turn::RelayId id) override {
    if (id < open_ids.size() && open_ids[id]) {
      open_ids[id] = false;
      --open_count;
    }
  }
  bool is_open(turn::RelayId id) const { return id < open_ids.size() && open_ids[id]; }
  bool can_dont_fragment() const override { return df_supported; }
  bool set_dont_fragment(turn::RelayId id) override {
    if (!df_supported || !is_open(id)) return false;
    dont_fragment[id] = true;
    return true;
  }
  turn::Relay adopt(const Address& a) {
    auto id = static_cast<turn::RelayId>(open_ids.size());
    open_ids.push_back(true);
    addresses.push_back(a);
    dont_fragment.push_back(false);
    ++open_count;
    return turn::Relay{id, a};
  }
  // Reservations: the held address per token, lapsing after 30 s like the real pool.
  struct Held {
    Address address;
    TimePoint expires;
  };
  std::vector<std::pair<Token, Held>> held;
  bool refuse_reservations = false;
  Result<Token> reserve(const Address& ip_port, std::string_view /*owner*/,
                        const turn::RealmLimits& /*realm*/, TimePoint now) override {
    if (refuse_reservations) return Error{"port taken"};
    Token t{};
    t[0] = static_cast<std::uint8_t>(held.size() + 1);
    held.push_back({t, {ip_port, now + Seconds(30)}});
    return t;
  }
  Result<turn::Relay> claim(const Token& token, TimePoint now) override {
    for (auto it = held.begin(); it != held.end(); ++it) {
      if (it->first != token) continue;
      Held h = it->second;
      held.erase(it);
      if (now >= h.expires) return Error{"lapsed"};
      return adopt(h.address);
    }
    return Error{"unknown token"};
  }
};

// RFC 6062's network side without sockets: records what the core asked for; the test plays
// the network's answers (Dispatcher::on_peer_connected / on_peer_accepted / ...).
struct FakeTcpRelays : turn::TcpRelayNet {
  std::vector<turn::RelayId> listening;
  std::vector<turn::RelayId> closed_relays;
  struct Connect {
    turn::RelayId relay;
    Address peer;
    turn::ConnectionId id;
  };
  std::vector<Connect> connects;
  std::vector<std::pair<turn::ConnectionId, FiveTuple>> bound;
  std::vector<FiveTuple> refused;
  std::vector<Address> tcp_relays;  // what is_tcp_relay() says yes to
  bool refuse_listen = false;
  bool refuse_connect = false;
  turn::ConnectionId next_id = 0x1000;

  bool listen(const turn::Relay& relay, const Address& /*client*/) override {
    if (refuse_listen) return false;
    listening.push_back(relay.id);
    return true;
  }
  void close_relay(turn::RelayId relay) override {
    closed_relays.push_back(relay);
    std::erase(listening, relay);
  }
  Result<turn::ConnectionId> connect(turn::RelayId relay, const Address& peer) override {
    if (refuse_connect) return Error{"no descriptor"};
    connects.push_back({relay, peer, ++next_id});
    return next_id;
  }
  void bind(turn::ConnectionId id, const FiveTuple& data) override { bound.emplace_back(id, data); }
  void refuse(const FiveTuple& data) override { refused.push_back(data); }
  bool is_tcp_relay(const Address& peer) const override {
    return std::find(tcp_relays.begin(), tcp_relays.end(), peer) != tcp_relays.end();
  }
};

// A wall clock that reads what the test sets.
struct FixedWallClock : WallClock {
  std::int64_t now = 1'700'000'000;
  std::int64_t unix_seconds() const override { return now; }
};

struct CoreHarness {
  // Every answer is seen: the unauthenticated-response limit has its own tests
  // (response_limiter_test.cc), which turn it on.
  turn::Settings settings{.unauthenticated_response_rate = 0};
  RecordingEgress egress;
  FakeRelays relays;
  auth::StaticUsers users{"example.org"};
  auth::NonceCodec nonces{auth::NonceCodec::Key{7}};
  turn::Quotas quotas{0, 0};
  std::unique_ptr<turn::Dispatcher> server;
  TimePoint now = TimePoint(Seconds(1000000));
  turn::RelayRegistry* open_relays = nullptr;  // set before start() to test relay-to-relay
  turn::TcpRelayNet* tcp_relays = nullptr;     // set before start() for RFC 6062
  // RFC 8016 mobility: set before start() (with settings.mobility); `shared_quotas` replaces
  // `quotas` (workers that share one, or a max-allocations-per-ip test).
  const auth::TicketCodec* tickets = nullptr;
  turn::MobilityNet* mobility = nullptr;
  turn::Quotas* shared_quotas = nullptr;
  // Another credential store than `users` (TURN REST secrets), set before start().
  const auth::CredentialStore* credentials = nullptr;
  FixedWallClock wall;

  // Builds the server from the current settings (call after changing them).
  void start() {
    server = std::make_unique<turn::Dispatcher>(
        turn::Dependencies{settings, egress, relays, credentials != nullptr ? *credentials : users,
                           nonces, shared_quotas != nullptr ? *shared_quotas : quotas, open_relays,
                           tcp_relays, tickets, mobility, &wall});
  }
  void advance(Seconds s) { now += s; }
};

}  // namespace ferry::testing
