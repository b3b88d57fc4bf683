// The protocol core of one worker: takes packets and `now`, dispatches each to where it goes
// (requests to their handlers and the answer to respond(), data to the peer or the client),
// and emits through an Egress. The allocations themselves live in Allocations.
// No sockets, no clock (DESIGN.md conventions 1-3); one instance per worker, no locks.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>

#include "ferry/auth/credential_store.h"
#include "ferry/auth/nonce.h"
#include "ferry/auth/ticket.h"
#include "ferry/common/address.h"
#include "ferry/common/bytes.h"
#include "ferry/common/time.h"
#include "ferry/turn/counters.h"
#include "ferry/turn/egress.h"
#include "ferry/turn/mobility.h"
#include "ferry/turn/peer_policy.h"
#include "ferry/turn/quotas.h"
#include "ferry/turn/rate_gate.h"
#include "ferry/turn/settings.h"
#include "ferry/turn/tcp_relay.h"

namespace ferry {
class PrefixLimiter;
}  // namespace ferry

namespace ferry::stun {
class MessageView;
class MessageBuilder;
}  // namespace ferry::stun

namespace ferry::turn {

struct Allocation;
struct Request;
class Reply;
class Allocations;
class RelayRegistry;

// What a worker's core is built from. The credential store, nonce codec and quotas are shared
// read-only (or internally synchronised) by every worker.
struct Dependencies {
  const Settings& settings;
  Egress& egress;
  RelayAllocator& relays;
  const auth::CredentialStore& credentials;
  const auth::NonceCodec& nonces;
  Quotas& quotas;
  // Shared by every worker; null in tests that do not need relay-to-relay peers.
  RelayRegistry* open_relays = nullptr;
  // RFC 6062 TCP allocations; null: REQUESTED-TRANSPORT TCP is answered 442.
  TcpRelayNet* tcp_relays = nullptr;
  // RFC 8016 mobility (with Settings::mobility): the ticket key every worker shares, and the
  // way to the other workers (null: one worker, moves stay within it).
  const auth::TicketCodec* tickets = nullptr;
  MobilityNet* mobility = nullptr;
  // Wall-clock time for time-limited credentials (TURN REST). Null: the time is unknown, so
  // every time-limited credential reads as expired (fails closed).
  const WallClock* wall_clock = nullptr;
};

class Dispatcher {
 public:
  explicit Dispatcher(const Dependencies& deps);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // A datagram (or one framed message of a stream) from a client.
  void on_client_packet(const FiveTuple& tuple, Bytes packet, TimePoint now);
  // A datagram a peer sent to relay socket `relay`.
  void on_peer_packet(RelayId relay, const Address& peer, Bytes packet, TimePoint now);
  // The client's TCP/TLS connection closed: its allocation ends now (RFC 8656 §3.1).
  void on_client_closed(const FiveTuple& tuple);

  // RFC 6062 (tcp_relay.cc), from the TcpRelayNet. A Connect's TCP connection succeeded or
  // failed: the Connect is answered now (§5.2).
  void on_peer_connected(ConnectionId id, bool ok, TimePoint now);
  // A peer connected to TCP allocation `relay` (§5.4): true when it may stay (a permission, the
  // peer policy, the allocation's connection cap), and then the client was sent a
  // ConnectionAttempt; false: the caller closes it at once.
  bool on_peer_accepted(RelayId relay, ConnectionId id, const Address& peer, TimePoint now);
  // A peer data connection ended (closed by either side, or its ConnectionBind never came).
  void on_peer_connection_closed(ConnectionId id);
  // RFC 8016 mobility (mobility.cc), from the MobilityNet: another worker asks this one, the
  // owner, to give up an allocation; the owner's answer to a move this worker asked for.
  void on_move_ask(MoveAsk& ask, TimePoint now);
  void on_move_answer(MoveAnswer& answer, TimePoint now);
  // Ends what has expired: allocations, permissions, channels (call about once a second; the
  // cost is the expiring allocations', not all of them: a timer wheel).
  void expire(TimePoint now);

  // The host's own addresses now, refused as peers on every port (PeerPolicy); the network
  // layer calls this at start and whenever the interfaces change. Permissions and channels to
  // an address that has become the host's end at once (the data path relies on the check
  // made when they were installed).
  void set_host_addresses(std::vector<Address> ips, TimePoint now);

  std::size_t allocation_count() const;
  // Entries in the expiry timer wheel (tests: bounded by the live allocations, not by churn).
  std::size_t timer_entries() const;
  bool has_allocation(const FiveTuple& t) const;
  const Counters& counters() const { return counters_; }

 private:
  // Who sent an authenticated request (username points into the request).
  // Not copyable: `username` may point into `hashed_username`.
  struct Auth {
    auth::MessageKey key{};
    std::string_view username;
    std::string_view realm;       // the realm the request was authenticated in
    bool authenticated = false;   // false only with no-auth
    std::string hashed_username;  // the name a USERHASH stood for (RFC 8489 §14.4)
    Auth() = default;
    Auth(const Auth&) = delete;
    Auth& operator=(const Auth&) = delete;
  };
  using Handler = Reply (Dispatcher::*)(const Request& r, Allocation& a);
  // The realm a request is answered and authenticated in (RFC 8489 §9.2.4's REALM): the one
  // its ORIGIN maps to (dynamic realms, coturn's turn_origin_to_realm), else the configured
  // one; for a request on an allocation, the allocation's (realms.cc).
  struct RealmChoice {
    std::string_view name;  // settings_.realm, realm_buf_, or a name Quotas keeps
    bool configured = true;
    std::uint16_t index = 0;  // Quotas::realm_index(), known for an allocation's realm
    auth::RealmOptions options;
    std::uint16_t origin_tag = 0;  // origin_tag() of the request's first ORIGIN
  };

  // Requests: each step answers with a Reply value; respond() is the one place that sends.
  Reply answer(const Request& r);
  Reply answer_binding(const Request& r);
  Reply answer_classic_binding(const FiveTuple& t, bool change, const Address& from,
                               const Address& other);
  Reply on_allocation(const Request& r, Handler handler);
  Reply handle_allocate(const Request& r);
  Reply allocate_dual(const Request& r, const Auth& auth, const RealmLimits& limits,
                      std::uint16_t origin_tag);
  Reply handle_refresh(const Request& r, Allocation& a);
  Reply refresh_allocation(const Request& r, Allocation& a);
  Reply handle_create_permission(const Request& r, Allocation& a);
  Reply handle_channel_bind(const Request& r, Allocation& a);
  // RFC 6062 (tcp_relay.cc).
  Reply handle_connect(const Request& r, Allocation& a);
  Reply handle_connection_bind(const Request& r);
  std::optional<Reply> check_tcp_allocate(const Request& r, const auth::MessageKey* key);
  Result<Relay> open_tcp_relay(const Address& ip, const Address& client);
  void end_tcp(Allocation& a);
  void send_connect_answer(Allocation& a, ConnectionId id, bool ok);
  void handle_send(const stun::MessageView& m, Allocation& a, TimePoint now);
  // RFC 8016 (mobility.cc).
  bool mobility_on() const { return settings_.mobility && deps_.tickets != nullptr; }
  std::optional<Reply> check_mobility(const Request& r, const auth::MessageKey* key, bool tcp);
  std::optional<Reply> check_own_ticket(const Request& r, const Allocation& a);
  // A fresh ticket for `a` added to `reply` (none when it cannot be made: the answer then
  // carries no ticket and the allocation cannot move).
  void add_ticket(Reply& reply, Allocation& a);
  Reply move_allocation(const Request& r, const Auth& auth);
  // Why `a` may not move to `to` now, or nullopt: then its max-allocations-per-ip unit has
  // moved to `to`'s address already.
  std::optional<MoveRefusal> claim_move(const Allocation* a, std::uint64_t serial,
                                        std::string_view user, std::string_view realm,
                                        const FiveTuple& to, TimePoint now);
  // The moved allocation `m` cannot be adopted: its relays close, its quota comes back.
  void abandon_move(MoveAnswer& answer, MoveRefusal why);
  unsigned worker_index() const { return deps_.mobility ? deps_.mobility->worker() : 0; }
  void handle_channel_data(const FiveTuple& t, Bytes packet, TimePoint now);

  // RFC 8489 §9.2.4: checks the long-term credential in `realm`; the refusal to send when it
  // fails.
  std::optional<Reply> authenticate(const Request& r, Auth& out, std::string_view realm);
  // Realms (realms.cc).
  RealmChoice realm_of_request(const Request& r);
  RealmChoice realm_of_allocation(const Allocation& a) const;
  // The quota limits of `realm` with its index (given now to a mapped realm's first
  // allocation); nullopt when Quotas has no index left for another realm.
  std::optional<RealmLimits> realm_limits(const RealmChoice& realm);
  // check-origin-consistency (coturn's): false when the request's ORIGIN is not the Allocate's.
  bool origin_consistent(const Request& r, const Allocation& a) const;
  std::optional<Reply> check_allocate_attributes(const Request& r, const auth::MessageKey* key);
  Seconds granted_lifetime(const stun::MessageView& m) const;
  Family requested_family(const FiveTuple& t, const stun::MessageView& m) const;
  Address relay_ip_for(const FiveTuple& t, Family family) const;
  Result<Relay> open_relay(const Address& ip, const stun::MessageView& m, std::string_view user,
                           const RealmLimits& realm, TimePoint now,
                           std::optional<RelayAllocator::Token>* reserved);
  Allocation& insert_allocation(const FiveTuple& t, const Relay& relay, const Auth& auth,
                                TimePoint expires, const RealmLimits& realm,
                                std::uint16_t origin_tag);
  Address reported_relay_address(const Address& bound) const;

  // The one response path (respond.cc): adds SOFTWARE, MESSAGE-INTEGRITY when the reply has a
  // key, FINGERPRINT; counts; sends. An answer without MESSAGE-INTEGRITY to a UDP source with
  // no allocation must first pass unauthenticated_reply_allowed().
  void respond(const Request& r, const Reply& reply);
  // Issue 16 item 10: false (and counted) when an answer that proves nothing about the
  // requester would exceed its source prefix's budget.
  bool unauthenticated_reply_allowed(const FiveTuple& t, TimePoint now);

  // max-bps and bps-capacity (item 11): false (counted) when `bytes` in that direction would
  // exceed the allocation's or the worker's rate. Called only when a limit is set.
  bool within_bandwidth(RateGate& allocation_gate, RateGate& worker_gate, std::size_t bytes,
                        TimePoint now);

  const Dependencies deps_;
  const Settings& settings_;
  Egress& egress_;
  PeerPolicy policy_;
  Counters counters_;
  std::unique_ptr<Allocations> allocations_;
  std::unique_ptr<PrefixLimiter> limiter_;  // null when unauthenticated-response-rate is 0
  std::size_t next_alternate_ = 0;          // round robin over the alternate servers (allocate.cc)
  // The name of the realm an ORIGIN mapped to, for the request being answered (a challenge's
  // REALM points here until it is sent).
  std::string realm_buf_;
  // RFC 6062: each peer data connection's allocation, by its 5-tuple (ConnectionBind comes
  // on another connection and names only the id).
  std::unordered_map<ConnectionId, FiveTuple> tcp_connections_;
  // Responses are built here, never on the heap (one buffer per worker).
  // 2,048: room for an RFC 5780 PADDING of 1,472 bytes besides the rest.
  std::array<std::uint8_t, 2048> out_{};
  // Data indications and ChannelData to clients are assembled here (one copy per packet).
  std::array<std::uint8_t, 65536 + 64> relay_buf_{};
  std::uint64_t indication_counter_ = 0;
  // RFC 8016: the last ticket serial issued here, and the ticket being sent.
  std::uint64_t ticket_serial_ = 0;
  auth::TicketCodec::Ticket ticket_buf_{};
  // bps-capacity's worker share, per direction.
  RateGate capacity_to_peer_;
  RateGate capacity_to_client_;
  // A limit is set (checked once per relayed packet, before any other bandwidth work).
  const bool bandwidth_limited_;
};

}  // namespace ferry::turn
