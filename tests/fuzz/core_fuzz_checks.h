// The invariants of the stateful core fuzzer (fuzz_core.cc), checked on what each call into
// the core emitted and, after every step, on the whole state; a failure abort()s. The model
// they update (core_fuzz_model.h) is built from the answers clients saw, never from the
// core's internals.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

#include "core_fuzz_model.h"
#include "core_fuzz_world.h"
#include "ferry/stun/attributes.h"
#include "ferry/stun/channel_data.h"
#include "ferry/stun/message.h"
#include "ferry/turn/counters.h"
#include "ferry/turn/peer_policy.h"

namespace ferry::testing::fuzz {

class Checks {
 public:
  explicit Checks(World& w) : w_(w) {}

  // Hands `packet` from client `ti` to the core and checks what came out: the answer (then the
  // model learns from it) and the data relayed to a peer (which the network would deliver to
  // the relay it names, when it is one of ours: that is done here too).
  ReplyInfo client_packet(int ti, Bytes packet, const Sent& sent) {
    Client& c = w_.clients[static_cast<std::size_t>(ti)];
    w_.egress.clear();
    w_.server->on_client_packet(c.tuple, packet, w_.now);
    require(!w_.egress.overflow(), "one client packet caused more than 8 sends");
    std::optional<MessageView> req;
    if (!stun::is_channel_data(packet)) {
      if (auto r = MessageView::parse(packet)) req = *r;
    }
    ReplyInfo info;
    const Recorder::Record* to_peer = nullptr;
    for (std::size_t i = 0; i < w_.egress.count(); ++i) {
      const Recorder::Record& rec = w_.egress.at(i);
      if (rec.to_peer) {
        require(to_peer == nullptr, "one client packet reached two peers");
        to_peer = &rec;
        check_to_peer(ti, rec, packet, sent);
      } else {
        require(rec.tuple == c.tuple, "a client's packet was answered to another 5-tuple");
        require(!info.answered, "one request got two answers");
        info = check_response(ti, w_.egress.data(rec), req, sent);
      }
    }
    check_data_delivered(ti, sent, to_peer != nullptr);
    // RFC 6062: a connection is bound only by a ConnectionBind success to that 5-tuple.
    if (w_.tcp.bound) {
      require(info.success && w_.tcp.bound->second == c.tuple && req &&
                  req->method() == static_cast<std::uint16_t>(Method::kConnectionBind),
              "a connection was bound without a ConnectionBind success");
      w_.tcp.bound.reset();
    }
    w_.log(info.success    ? "answered success"
           : info.answered ? "answered"
                           : "no answer",
           ti, info.code);
    if (to_peer != nullptr) {
      w_.log("relayed to a peer from relay", ti, to_peer->relay);
      // The network would hand this to the relay it is addressed to, when it is one of ours.
      turn::RelayId to = 0;
      if (w_.relays.open_at(to_peer->peer, &to)) {
        const Bytes d = w_.egress.data(*to_peer);
        std::array<std::uint8_t, 1500> copy{};
        require(d.size() <= copy.size(), "relayed more bytes than were sent");
        std::copy(d.begin(), d.end(), copy.begin());
        const Address from = w_.relays.address_of(to_peer->relay);
        peer_packet(to, from, Bytes(copy.data(), d.size()));
      }
    }
    return info;
  }

  // Hands a datagram from `peer` on relay `id` to the core and checks what came out.
  void peer_packet(turn::RelayId id, const Address& peer, Bytes data) {
    w_.egress.clear();
    w_.server->on_peer_packet(id, peer, data, w_.now);
    require(!w_.egress.overflow(), "one peer datagram caused more than 8 sends");
    int owner = -1;
    for (std::size_t i = 0; i < kTuples; ++i) {
      if (w_.clients[i].m.alive && w_.clients[i].m.relay == id) owner = static_cast<int>(i);
    }
    std::size_t delivered = 0;
    for (std::size_t i = 0; i < w_.egress.count(); ++i) {
      const Recorder::Record& rec = w_.egress.at(i);
      require(!rec.to_peer, "peer data was sent on to a peer");
      require(++delivered == 1, "one peer datagram reached a client twice");
      require(owner >= 0, "peer data reached a client through a relay it does not own");
      Client& c = w_.clients[static_cast<std::size_t>(owner)];
      require(rec.tuple == c.tuple, "peer data reached another client");
      require(w_.relays.is_open(id), "peer data through a closed relay");
      check_peer_delivery(c, peer, data, w_.egress.data(rec));
      w_.log("peer data delivered", owner);
    }
    if (owner < 0) return;
    Model& m = w_.clients[static_cast<std::size_t>(owner)].m;
    if (m.tcp) {
      require(delivered == 0, "a datagram reached a TCP allocation's client");
      return;
    }
    const Permission* p = m.perm(peer);
    if (w_.certainly_alive(m) && w_.relays.is_open(id) && p != nullptr && w_.now < p->until.lo &&
        !w_.bandwidth_limited() && w_.policy.check(peer) != PeerVerdict::kRefused) {
      require(delivered == 1, "a permitted peer's data was dropped");
    }
  }

  // RFC 6062 §5.2: connection `id` (connecting) succeeded or failed; its Connect is answered
  // now, to the allocation's 5-tuple, with CONNECTION-ID or 447, under the user's key.
  void peer_connected(turn::ConnectionId id, bool ok) {
    TcpNet::Conn* conn = w_.tcp.find(id);
    const turn::RelayId relay = conn->relay;
    if (ok) {
      conn->state = TcpNet::State::kPending;
    } else {
      w_.tcp.erase(id);  // the network gives a failed connection up before it reports
    }
    w_.log(ok ? "peer connected" : "peer connection failed", -1, static_cast<long>(id));
    w_.egress.clear();
    w_.server->on_peer_connected(id, ok, w_.now);
    const int owner = tcp_owner(relay);
    require(w_.egress.count() <= 1, "one connection outcome answered twice");
    if (w_.egress.count() == 0) {
      require(owner < 0 || !w_.certainly_alive(w_.clients[static_cast<std::size_t>(owner)].m),
              "a Connect's outcome was not answered");
      return;
    }
    require(owner >= 0, "a Connect answered for no TCP allocation");
    Client& c = w_.clients[static_cast<std::size_t>(owner)];
    const Recorder::Record& rec = w_.egress.at(0);
    require(!rec.to_peer && rec.tuple == c.tuple, "a Connect answered to another 5-tuple");
    auto parsed = MessageView::parse(w_.egress.data(rec));
    require(parsed.ok(), "a Connect answer is not well-formed STUN");
    const MessageView& m = *parsed;
    require(m.method() == static_cast<std::uint16_t>(Method::kConnect),
            "a connection outcome answered as another method");
    const auth::Md5Key& key = w_.keys[static_cast<std::size_t>(c.m.user)];
    require(stun::check_message_integrity(m, Bytes(key.data(), key.size())),
            "a Connect answer without the user's MESSAGE-INTEGRITY");
    if (ok) {
      auto cid = m.get<attr::ConnectionId>();
      require(m.cls() == Class::kSuccess && cid && cid->id == id,
              "a connected Connect not answered with its CONNECTION-ID");
      c.m.last_tid = m.transaction_id();  // kept for a retransmission, as any success
    } else {
      auto e = m.get<attr::ErrorCode>();
      require(m.cls() == Class::kError && e && e->code == 447, "a failed Connect not answered 447");
      ++w_.errors[turn::error_code_slot(std::uint16_t{447})];
    }
  }

  // RFC 6062 §5.4: a peer connects in to `relay`: let in (and announced by a ConnectionAttempt
  // to the allocation's 5-tuple) only with a permission and the peer policy's consent.
  void peer_accepted(turn::RelayId relay, const Address& peer) {
    const turn::ConnectionId id = ++w_.tcp.next_id;
    w_.log("peer connects in", -1, static_cast<long>(relay));
    w_.egress.clear();
    const bool kept = w_.server->on_peer_accepted(relay, id, peer, w_.now);
    const int owner = tcp_owner(relay);
    if (!kept) {
      require(w_.egress.count() == 0, "a refused peer was announced");
      if (owner < 0) return;
      Model& m = w_.clients[static_cast<std::size_t>(owner)].m;
      const Permission* p = m.perm(peer);
      const bool must = w_.certainly_alive(m) && p != nullptr && w_.now < p->until.lo &&
                        w_.policy.check(peer) == PeerVerdict::kPermitted &&
                        w_.tcp.conns.size() < w_.settings.max_tcp_connections;
      require(!must, "a permitted peer was refused");
      return;
    }
    require(owner >= 0, "a peer was let in to no TCP allocation");
    Client& c = w_.clients[static_cast<std::size_t>(owner)];
    const Permission* p = c.m.perm(peer);
    require(p != nullptr && w_.now < p->until.hi, "a peer without a permission was let in");
    require(!w_.forbidden(peer) && w_.policy.check(peer) != PeerVerdict::kRefused,
            "a peer the policy refuses was let in");
    require(w_.egress.count() == 1, "an accepted peer was not announced once");
    const Recorder::Record& rec = w_.egress.at(0);
    require(!rec.to_peer && rec.tuple == c.tuple, "a ConnectionAttempt to another 5-tuple");
    auto parsed = MessageView::parse(w_.egress.data(rec));
    require(parsed.ok() && parsed->is(Method::kConnectionAttempt, Class::kIndication),
            "an accepted peer announced by something else than a ConnectionAttempt");
    auto pa = parsed->get<attr::XorPeerAddress>();
    auto cid = parsed->get<attr::ConnectionId>();
    require(pa && pa->address == peer && cid && cid->id == id,
            "a ConnectionAttempt with another peer or id");
    w_.tcp.conns.push_back({id, relay, peer, TcpNet::State::kPending});
  }

  // A connection ends (either side closed, or 30 s without a ConnectionBind).
  void connection_closed(turn::ConnectionId id) {
    w_.log("connection closed", -1, static_cast<long>(id));
    w_.tcp.erase(id);
    w_.egress.clear();
    w_.server->on_peer_connection_closed(id);
    require(w_.egress.count() == 0, "a closed connection sent something");
  }

  // The worker's tick: expire(now), and lapsed reservations swept.
  void tick() {
    w_.log("tick", -1);
    w_.egress.clear();
    w_.server->expire(w_.now);
    w_.relays.sweep(w_.now);
    require(w_.egress.count() == 0, "expiry sent something");
    w_.ticked = true;
  }

  // The host's addresses changed (w_.policy has the new set): the core revoked what it had
  // granted to addresses that are now the host's, so the model is no longer certain of those.
  void host_change() {
    for (auto& c : w_.clients) {
      for (std::size_t i = 0; i < c.m.nperms; ++i) {
        Permission& p = c.m.perms[i];
        if (w_.policy.check(p.ip) == PeerVerdict::kRefused)
          p.until.lo = std::min(p.until.lo, w_.now);
      }
      for (std::size_t i = 0; i < c.m.nchans; ++i) {
        Channel& ch = c.m.chans[i];
        // A revoked channel's number may be released at once, without the §12 rest (the core
        // sets its expiry to the epoch: it has no `now` here), so nothing about it is certain.
        if (w_.policy.check(ch.peer) == PeerVerdict::kRefused)
          ch.until.lo = std::min(ch.until.lo, w_.now - w_.settings.channel_rest);
      }
    }
  }

  // After every step: the allocations the model knows are the server's, and quotas, relays,
  // reservations, the registry and the counters all agree with them.
  void global() {
    require(w_.relays.bad_closes == 0, "the core closed a relay id that was not open");
    require(w_.relays.bad_opens == 0, "the core opened a relay on an empty address");
    std::size_t alive = 0;
    std::array<std::size_t, 2> per_user{};
    for (auto& c : w_.clients) {
      const bool has = w_.server->has_allocation(c.tuple);
      if (has) {
        require(c.m.alive, "an allocation exists that no success response announced");
        require(!w_.ticked || w_.now < c.m.until.hi,
                "an allocation outlived its lifetime and expire()");
      } else if (c.m.alive) {
        require(w_.now >= c.m.until.lo, "an allocation ended before its lifetime");
        c.m.clear();
      }
      if (!c.m.alive) continue;
      ++alive;
      ++per_user[static_cast<std::size_t>(c.m.user)];
      c.m.forget(w_.now, w_.settings.channel_rest);
      check_caps(c.m);
      require(w_.relays.is_open(c.m.relay) && w_.relays.address_of(c.m.relay) == c.m.relay_address,
              "an allocation's relay is not open");
      for (const auto& other : w_.clients) {
        require(&other == &c || !other.m.alive || other.m.relay != c.m.relay,
                "two allocations share one relay");
      }
    }
    require(w_.server->allocation_count() == alive, "allocation_count() != 5-tuples with one");
    std::size_t tcp_alive = 0;
    for (const auto& c : w_.clients) {
      if (!c.m.alive || !c.m.tcp) continue;
      ++tcp_alive;
      require(w_.tcp.listens(c.m.relay), "a TCP allocation does not listen");
    }
    require(w_.tcp.listening.size() == tcp_alive, "a TCP relay listens with no allocation");
    for (const auto& conn : w_.tcp.conns) {
      require(w_.tcp.listens(conn.relay), "a connection outlived its TCP allocation");
    }
    check_counters();
    require(w_.relays.open_count() == alive, "open relays != allocations");
    require(w_.quotas->total() == alive + w_.relays.held_count(),
            "quota total != allocations + reservations");
    const auto users = w_.quotas->per_user();
    std::size_t sum = 0;
    for (const auto& [name, n] : users) {
      const bool known = name == kUsers[0] || name == kUsers[1];
      require(known, "a quota entry for a user that has nothing");
      const std::size_t u = name == kUsers[0] ? 0 : 1;
      require(n == per_user[u] + w_.relays.held_by(kUsers[u]), "a user's quota count is off");
      require(n <= kUserQuota, "user-quota exceeded");
      sum += n;
    }
    require(sum == w_.quotas->total(), "per-user counts do not add up to the total");
    if (w_.per_ip_quota != 0) {
      // IPv4 clients only: an IPv4 address is one client whatever the core's per-client key
      // (IPv6 ones may be grouped by prefix).
      for (const auto& c : w_.clients) {
        if (!c.tuple.client.is_v4()) continue;
        std::size_t same_ip = 0;
        for (const auto& o : w_.clients)
          same_ip += o.m.alive && o.tuple.client.same_ip(c.tuple.client);
        require(same_ip <= w_.per_ip_quota, "max-allocations-per-ip exceeded");
      }
    }
    require(sum <= kTotalQuota, "total-quota exceeded");
    check_registry();
  }

  // The end of an input: everything must be released once every lifetime has passed.
  void finish() {
    // Past the longest lifetime: max-allocate-lifetime, and a channel's rest after it.
    w_.now += w_.settings.max_lifetime + w_.settings.channel_lifetime + w_.settings.channel_rest;
    tick();
    global();
    require(w_.server->allocation_count() == 0, "allocations left after every lifetime");
    require(w_.quotas->total() == 0, "quota left after every lifetime");
    require(w_.relays.open_count() == 0, "relays left open after every lifetime");
    require(w_.relays.held_count() == 0, "reservations left after every lifetime");
    require(w_.quotas->per_user().empty(), "per-user quota entries left");
    require(w_.tcp.listening.empty() && w_.tcp.conns.empty(),
            "TCP relays or connections left after every lifetime");
    const turn::Counters& k = w_.server->counters();
    require(k.permissions_created.get() == k.permissions_ended.get() &&
                k.channels_created.get() == k.channels_ended.get(),
            "permission or channel gauges do not return to 0");
    check_registry();
    w_.server.reset();
    require(w_.relays.bad_closes == 0 && w_.quotas->total() == 0,
            "the server's destructor released");
  }

 private:
  using Class = stun::Class;
  using MessageView = stun::MessageView;
  using PeerVerdict = turn::PeerVerdict;

  // RateGate lets a packet pass while its schedule is at most a second ahead: bytes relayed
  // since `since` stay under rate x (elapsed + 1 s) plus the last packet (and rounding).
  void check_rate(std::uint64_t bytes, std::uint64_t rate, TimePoint since, std::size_t last,
                  const char* what) const {
    if (rate == 0) return;
    const auto ms = std::chrono::duration_cast<Millis>(w_.now - since + Seconds(1)).count();
    require(bytes <= rate * static_cast<std::uint64_t>(ms) / 1000 + last + 1, what);
  }

  void check_to_peer(int ti, const Recorder::Record& rec, Bytes packet, const Sent& sent) {
    Model& m = w_.clients[static_cast<std::size_t>(ti)].m;
    require(sent.kind != Kind::kRequest && sent.kind != Kind::kBinding,
            "a request sent data to a peer");
    require(m.alive, "data reached a peer from a client that has no allocation");
    require(rec.relay == m.relay, "data left from a relay that is not the sender's");
    require(w_.relays.is_open(rec.relay), "data left from a closed relay");
    require(rec.given >= packet.data() && rec.given + rec.size <= packet.data() + packet.size(),
            "to_peer data is not a part of the client packet");
    require(!w_.forbidden(rec.peer), "data reached a forbidden address");
    require(w_.policy.check(rec.peer) != PeerVerdict::kRefused,
            "data reached a peer the peer policy refuses");
    const Permission* p = m.perm(rec.peer);
    require(p != nullptr && w_.now < p->until.hi, "data reached a peer without a live permission");
    const Bytes d = w_.egress.data(rec);
    m.bytes_to_peer += d.size();
    w_.bytes_to_peer += d.size();
    ++w_.packets_to_peer;
    check_rate(m.bytes_to_peer, w_.settings.max_bps, m.created, d.size(),
               "an allocation relayed over max-bps");
    check_rate(w_.bytes_to_peer, w_.settings.worker_bps_capacity, w_.start, d.size(),
               "the server relayed over its capacity");
    if (sent.kind == Kind::kSend) {
      require(sent.has_peer && rec.peer == sent.peer, "a Send went to another peer");
      require(same_bytes(d, sent.payload_bytes()), "a Send's DATA arrived altered");
    }
    std::optional<std::uint16_t> number;
    if (sent.kind == Kind::kChannelData) {
      require(same_bytes(d, sent.payload_bytes()), "ChannelData arrived altered");
      number = sent.number;
    } else if (sent.kind == Kind::kRaw && stun::is_channel_data(packet) && packet.size() >= 4) {
      number = load_be16(packet.data());
    }
    if (number) {
      const Channel* ch = m.chan_by_number(*number);
      require(ch != nullptr && ch->peer == rec.peer && w_.now < ch->until.hi,
              "ChannelData went out on a channel that is not bound to that peer");
    }
  }

  // Liveness: a client's data to a peer it certainly has a permission (and channel) for, on
  // an allocation certainly alive, is relayed.
  void check_data_delivered(int ti, const Sent& sent, bool delivered) {
    Model& m = w_.clients[static_cast<std::size_t>(ti)].m;
    if (m.alive && m.tcp) {
      require(!delivered, "a TCP allocation sent a datagram to a peer");
      return;
    }
    if (!w_.certainly_alive(m) || !sent.has_data || w_.bandwidth_limited()) return;
    Address peer;
    if (sent.kind == Kind::kSend && sent.has_peer) {
      peer = sent.peer;
    } else if (sent.kind == Kind::kChannelData && sent.number >= stun::kMinChannelNumber &&
               sent.number <= w_.settings.max_channel_number) {
      const Channel* ch = m.chan_by_number(sent.number);
      if (ch == nullptr || w_.now >= ch->until.lo) return;
      peer = ch->peer;
    } else {
      return;
    }
    const Permission* p = m.perm(peer);
    if (p == nullptr || w_.now >= p->until.lo || w_.policy.check(peer) == PeerVerdict::kRefused)
      return;
    require(delivered, "data to a permitted peer was dropped");
  }

  ReplyInfo check_response(int ti, Bytes data, const std::optional<MessageView>& req,
                           const Sent& sent) {
    Client& c = w_.clients[static_cast<std::size_t>(ti)];
    auto parsed = MessageView::parse(data);
    require(parsed.ok(), "an answer to a client is not well-formed STUN");
    const MessageView& m = *parsed;
    require(req.has_value() && req->cls() == Class::kRequest, "an answer to a non-request");
    require(m.cls() == Class::kSuccess || m.cls() == Class::kError, "an answer is no response");
    require(m.method() == req->method(), "an answer of another method");
    if (req->rfc3489() && m.rfc3489()) {
      require(same_bytes(m.rfc3489_id(), req->rfc3489_id()),
              "an RFC 3489 answer with another transaction id");
    } else if (req->rfc3489()) {
      // Known deviation (reported with corpus/core/rfc3489_request_gets_rfc5389_challenge):
      // only Binding successes are built in RFC 3489 form; 401/438 challenges and 420 answers
      // to a cookie-less request carry the magic cookie and the id's last 12 bytes (respond()
      // drops such requests instead). Harmless, but a classic client cannot match them.
      require(m.transaction_id() == req->transaction_id(), "an answer with another transaction id");
    } else {
      require(!m.rfc3489() && m.transaction_id() == req->transaction_id(),
              "an answer with another transaction id");
    }
    const bool mi = m.message_integrity().has_value();
    if (mi) {
      if (sent.kind == Kind::kRequest) {
        require(sent.user >= 0, "MESSAGE-INTEGRITY in the answer to an unproven request");
        const auth::Md5Key& k = w_.keys[static_cast<std::size_t>(sent.user)];
        require(stun::check_message_integrity(m, Bytes(k.data(), k.size())),
                "an answer's MESSAGE-INTEGRITY does not verify with the requester's key");
      } else {
        require(stun::check_message_integrity(m, Bytes(w_.keys[0].data(), w_.keys[0].size())) ||
                    stun::check_message_integrity(m, Bytes(w_.keys[1].data(), w_.keys[1].size())),
                "MESSAGE-INTEGRITY in an answer to a raw packet");
      }
    }
    ReplyInfo info;
    info.answered = true;
    if (m.cls() == Class::kError) {
      auto e = m.get<attr::ErrorCode>();
      require(e.has_value() && e->code >= 300 && e->code <= 699, "an error without ERROR-CODE");
      info.code = e->code;
      ++w_.errors[turn::error_code_slot(e->code)];
      if (e->code == 401 || e->code == 438) {
        require(!mi, "a challenge with MESSAGE-INTEGRITY");
        auto realm = m.get<attr::Realm>();
        auto nonce = m.get<attr::Nonce>();
        require(realm && realm->value == kRealm, "a challenge without our REALM");
        require(nonce && !nonce->value.empty() && nonce->value.size() <= c.nonce.size(),
                "a challenge without a NONCE");
        std::copy(nonce->value.begin(), nonce->value.end(), c.nonce.begin());
        c.nonce_len = nonce->value.size();
      }
      return info;
    }
    info.success = true;
    if (m.method() == static_cast<std::uint16_t>(Method::kBinding)) {
      ++w_.binding_answers;
      if (!m.rfc3489()) {
        auto xm = m.get<attr::XorMappedAddress>();
        require(xm && xm->address == c.tuple.client, "a Binding answer with another address");
      }
      return info;
    }
    require(mi, "a TURN success without MESSAGE-INTEGRITY");
    require(sent.kind == Kind::kRequest, "a raw packet authenticated");
    require(sent.may_succeed, "a TURN success for a request with wrong credentials");
    apply_success(ti, m, sent);
    return info;
  }

  std::uint32_t granted(const MessageView& m) const {
    auto lt = m.get<attr::Lifetime>();
    require(lt.has_value(), "a success without LIFETIME");
    return lt->seconds;
  }

  void check_granted(std::uint32_t l) const {
    const auto lo = std::min(w_.settings.default_lifetime, w_.settings.max_lifetime).count();
    require(static_cast<std::int64_t>(l) >= lo &&
                static_cast<std::int64_t>(l) <= w_.settings.max_lifetime.count(),
            "a lifetime outside default..max-allocate-lifetime");
  }

  // A TURN success: the model learns what was granted. The core answers a request that
  // repeats the transaction id of the allocation's last success from its cache (RFC 8489
  // §6.3.1) and changes nothing; any other success is a fresh execution.
  void apply_success(int ti, const MessageView& m, const Sent& sent) {
    Client& c = w_.clients[static_cast<std::size_t>(ti)];
    Model& md = c.m;
    md.forget(w_.now, w_.settings.channel_rest);
    const Spec& s = sent.spec;
    const auto method = static_cast<Method>(m.method());
    const bool replay = md.alive && m.transaction_id() == md.last_tid;
    if (method == Method::kAllocate) {
      apply_allocate(ti, m, sent, replay);
      return;
    }
    if (method == Method::kConnectionBind) {
      apply_connection_bind(ti, sent);
      return;
    }
    require(md.alive, "a TURN request succeeded on a 5-tuple without an allocation");
    require(sent.user == md.user, "a request of another user succeeded on an allocation");
    if (replay) return;
    // RFC 6062 §5.2: a Connect succeeds when its connection does (peer_connected), then only
    // as that answer again.
    require(method != Method::kConnect, "a Connect succeeded before its connection");
    md.last_tid = m.transaction_id();
    if (method == Method::kRefresh) {
      const std::uint32_t l = granted(m);
      const bool delete_asked = s.lifetime && s.lifetime_value == 0;
      require((l == 0) == delete_asked, "Refresh answered LIFETIME 0 iff it asked for 0");
      if (l == 0) {
        require(!w_.server->has_allocation(c.tuple), "a deleted allocation is still there");
        md.clear();
        return;
      }
      check_granted(l);
      md.until.fresh(w_.now + Seconds(l));
      return;
    }
    if (method == Method::kCreatePermission) {
      require(s.npeers >= 1, "CreatePermission without a peer succeeded");
      for (std::size_t i = 0; i < s.npeers; ++i) grant_permission(md, s.peers[i]);
    } else if (method == Method::kChannelBind) {
      require(!md.tcp, "a channel bound on a TCP allocation");
      apply_channel_bind(md, sent);
    } else {
      violation("a success for a method that has none");
    }
    check_caps(md);
  }

  void check_peer_grantable(const Model& md, const Address& peer) const {
    require(peer.family() == md.relay_address.family(), "a peer of the other family granted");
    require(!w_.forbidden(peer), "a permission for a forbidden address was granted");
    require(w_.policy.check(peer) != PeerVerdict::kRefused,
            "a permission the peer policy refuses was granted");
  }

  void grant_permission(Model& md, const Address& peer) {
    check_peer_grantable(md, peer);
    Permission* p = md.perm(peer);
    if (p == nullptr) p = &md.add_perm(peer);
    p->until.fresh(w_.now + w_.settings.permission_lifetime);
  }

  void apply_channel_bind(Model& md, const Sent& sent) {
    const Spec& s = sent.spec;
    require(s.number && s.npeers == 1, "ChannelBind without number or peer succeeded");
    const std::uint16_t n = s.number_value;
    const Address& peer = s.peers[0];
    require(n >= stun::kMinChannelNumber && n <= w_.settings.max_channel_number,
            "a channel number outside the range was bound");
    check_peer_grantable(md, peer);
    // §12.2: a number stays with its peer (and the peer with its number) while bound and for
    // the rest period after.
    for (std::size_t i = 0; i < md.nchans;) {
      Channel& ch = md.chans[i];
      const bool conflict = (ch.number == n) != (ch.peer == peer);
      if (!conflict) {
        ++i;
        continue;
      }
      require(w_.now >= ch.until.lo + w_.settings.channel_rest,
              "a channel number or peer was rebound while bound or resting");
      ch = md.chans[--md.nchans];
    }
    Channel* ch = md.chan_by_number(n);
    if (ch == nullptr) {
      ch = &md.add_chan();
      ch->number = n;
      ch->peer = peer;
    }
    ch->until.fresh(w_.now + w_.settings.channel_lifetime);
    grant_permission(md, peer);
  }

  // `replay_possible`: the request repeats the transaction id of the allocation's last success;
  // it is answered from the cache while that allocation lives, and allocates anew once it has
  // expired.
  void apply_allocate(int ti, const MessageView& m, const Sent& sent, bool replay_possible) {
    Client& c = w_.clients[static_cast<std::size_t>(ti)];
    Model& md = c.m;
    const Spec& s = sent.spec;
    const std::uint32_t l = granted(m);
    check_granted(l);
    auto relayed = m.get<attr::XorRelayedAddress>();
    auto mapped = m.get<attr::XorMappedAddress>();
    require(relayed.has_value(), "an Allocate success without XOR-RELAYED-ADDRESS");
    require(mapped && mapped->address == c.tuple.client, "XOR-MAPPED-ADDRESS is not the client");
    const bool fresh_possible = !md.alive || w_.now >= md.until.lo;
    require(replay_possible || fresh_possible, "a second allocation on one 5-tuple");
    if (!fresh_possible) {
      require(relayed->address == md.relay_address, "a repeated Allocate got another relay");
      return;
    }
    turn::RelayId id = 0;
    require(w_.relays.open_at(relayed->address, &id), "an Allocate succeeded with no relay open");
    if (replay_possible && relayed->address == md.relay_address) {
      // The old allocation's cached answer, or a new one on the same port: nothing certain
      // (the same user either way: the cached answer was this very request's).
      md.relay = id;
      md.until.maybe(w_.now + Seconds(l));
      for (std::size_t i = 0; i < md.nperms; ++i)
        md.perms[i].until.lo = std::min(md.perms[i].until.lo, w_.now);
      for (std::size_t i = 0; i < md.nchans; ++i)
        md.chans[i].until.lo = std::min(md.chans[i].until.lo, w_.now - w_.settings.channel_rest);
      return;
    }
    for (const auto& other : w_.clients) {
      require(&other == &c || !other.m.alive || other.m.relay != id,
              "two allocations share one relay");
    }
    auto token = m.get<attr::ReservationToken>();
    if (s.token) {
      require(!w_.relays.is_held(s.token_value), "a claimed reservation is still held");
    } else {
      if (s.even) require(relayed->address.port() % 2 == 0, "EVEN-PORT got an odd port");
      Family want = w_.settings.relay_ips.empty() ? c.tuple.server.family() : Family::kV4;
      if (s.family && (s.family_value == 1 || s.family_value == 2))
        want = s.family_value == 1 ? Family::kV4 : Family::kV6;
      require(relayed->address.family() == want, "a relay of the wrong family");
    }
    if (s.even && s.reserve && !s.token) {
      require(token.has_value(), "EVEN-PORT with R succeeded without RESERVATION-TOKEN");
      require(w_.relays.is_held(token->token), "a RESERVATION-TOKEN that holds nothing");
      w_.tokens[w_.ntokens < w_.tokens.size() ? w_.ntokens++ : (w_.tokens.size() - 1)] =
          token->token;
    } else {
      require(!token.has_value(), "a RESERVATION-TOKEN nobody asked for");
    }
    const bool tcp = s.transport && s.protocol == attr::RequestedTransport::kTcp;
    require(!tcp || (w_.tcp_on && c.tuple.transport != Transport::kUdp),
            "a TCP allocation without the TCP relay network or over UDP");
    md.clear();
    md.alive = true;
    md.tcp = tcp;
    md.relay = id;
    md.relay_address = relayed->address;
    md.user = sent.user;
    md.last_tid = m.transaction_id();
    md.until.fresh(w_.now + Seconds(l));
    md.created = w_.now;
    md.bytes_to_peer = 0;
    md.bytes_to_client = 0;
  }

  // The client whose (TCP) allocation has relay `relay`, -1 if none.
  int tcp_owner(turn::RelayId relay) const {
    for (std::size_t i = 0; i < kTuples; ++i) {
      const Model& m = w_.clients[i].m;
      if (m.alive && m.tcp && m.relay == relay) return static_cast<int>(i);
    }
    return -1;
  }

  // RFC 6062 §5.3: a ConnectionBind succeeds on a stream 5-tuple without an allocation, for a
  // pending connection of an allocation of the same user (client_packet checked the bind).
  void apply_connection_bind(int ti, const Sent& sent) {
    const Client& c = w_.clients[static_cast<std::size_t>(ti)];
    require(c.tuple.transport != Transport::kUdp, "a ConnectionBind succeeded over UDP");
    require(!w_.certainly_alive(c.m), "a ConnectionBind succeeded on a control connection");
    require(w_.tcp.bound.has_value(), "a ConnectionBind succeeded without binding");
    const TcpNet::Conn* conn = w_.tcp.find(w_.tcp.bound->first);
    require(conn != nullptr, "a ConnectionBind bound an unknown connection");
    require(sent.spec.connection_id && sent.spec.connection_id_value == conn->id,
            "a ConnectionBind bound another connection than it named");
    const int owner = tcp_owner(conn->relay);
    require(owner >= 0 && sent.user == w_.clients[static_cast<std::size_t>(owner)].m.user,
            "a ConnectionBind of another user succeeded");
  }

  void check_caps(const Model& md) const {
    std::size_t perms = 0;
    std::size_t chans = 0;
    for (std::size_t i = 0; i < md.nperms; ++i) perms += w_.now < md.perms[i].until.lo ? 1 : 0;
    for (std::size_t i = 0; i < md.nchans; ++i)
      chans += w_.now < md.chans[i].until.lo + w_.settings.channel_rest ? 1 : 0;
    require(perms <= w_.settings.max_permissions, "more permissions than max_permissions");
    require(chans <= w_.settings.max_channels, "more channels than max_channels");
  }

  void check_peer_delivery(Client& c, const Address& peer, Bytes data, Bytes out) {
    Model& m = c.m;
    m.bytes_to_client += data.size();
    w_.bytes_to_client += data.size();
    ++w_.packets_to_client;
    check_rate(m.bytes_to_client, w_.settings.max_bps, m.created, data.size(),
               "an allocation relayed over max-bps");
    check_rate(w_.bytes_to_client, w_.settings.worker_bps_capacity, w_.start, data.size(),
               "the server relayed over its capacity");
    const Permission* p = m.perm(peer);
    require(p != nullptr && w_.now < p->until.hi, "peer data arrived without a permission");
    require(!w_.forbidden(peer) && w_.policy.check(peer) != PeerVerdict::kRefused,
            "data from a refused peer arrived");
    if (stun::is_channel_data(out)) {
      require(out.size() >= 4, "a short ChannelData");
      const std::uint16_t number = load_be16(out.data());
      const std::uint16_t len = load_be16(out.data() + 2);
      require(len == data.size() && same_bytes(out.subspan(4, len), data),
              "ChannelData to the client carries other bytes");
      const std::size_t want =
          c.tuple.transport == Transport::kUdp ? 4 + len : stun::padded_size(4 + len);
      require(out.size() == want, "ChannelData to the client is padded wrongly");
      for (std::size_t i = 4 + len; i < out.size(); ++i)
        require(out[i] == 0, "ChannelData padding is not zero");
      const Channel* ch = m.chan_by_number(number);
      require(ch != nullptr && ch->peer == peer && w_.now < ch->until.hi,
              "ChannelData to the client on a channel not bound to that peer");
      return;
    }
    auto parsed = MessageView::parse(out);
    require(parsed.ok() && parsed->is(Method::kData, Class::kIndication),
            "peer data reached the client as neither ChannelData nor a Data indication");
    auto xp = parsed->get<attr::XorPeerAddress>();
    auto d = parsed->get<attr::Data>();
    require(xp && xp->address == peer, "a Data indication names another peer");
    require(d && same_bytes(d->value, data), "a Data indication carries other bytes");
    const Channel* ch = m.chan_by_peer(peer);
    require(ch == nullptr || w_.now >= ch->until.lo,
            "a Data indication for a peer with a bound channel");
  }

  // The core's counters (exported as metrics) agree with what it did: allocations current =
  // created - ended per transport and family, relayed packets and bytes, answers by code.
  void check_counters() const {
    const turn::Counters& k = w_.server->counters();
    std::array<std::uint64_t, turn::kAllocationSlots> live{};
    std::uint64_t perms = 0;
    std::uint64_t chans = 0;
    for (const auto& c : w_.clients) {
      if (!c.m.alive) continue;
      ++live[turn::allocation_slot(c.tuple.transport, c.m.relay_address.is_v6())];
      for (std::size_t i = 0; i < c.m.nperms; ++i) perms += w_.now < c.m.perms[i].until.lo ? 1 : 0;
      for (std::size_t i = 0; i < c.m.nchans; ++i)
        chans += w_.now < c.m.chans[i].until.lo + w_.settings.channel_rest ? 1 : 0;
    }
    for (std::size_t i = 0; i < live.size(); ++i) {
      require(k.allocations_created[i].get() - k.allocations_ended[i].get() == live[i],
              "allocations created - ended != allocations (a gauge drifts)");
    }
    require(k.permissions_created.get() - k.permissions_ended.get() >= perms,
            "permissions created - ended is below the permissions that exist");
    require(k.channels_created.get() - k.channels_ended.get() >= chans,
            "channels created - ended is below the channels that exist");
    require(k.relayed_to_peer.get() == w_.packets_to_peer &&
                k.relayed_bytes_to_peer.get() == w_.bytes_to_peer,
            "relayed_to_peer counters != what reached peers");
    require(k.relayed_to_client.get() == w_.packets_to_client &&
                k.relayed_bytes_to_client.get() == w_.bytes_to_client,
            "relayed_to_client counters != what reached clients");
    require(k.binding_responses.get() == w_.binding_answers,
            "binding_responses != Binding answers");
    for (std::size_t i = 0; i < w_.errors.size(); ++i) {
      require(k.error_responses[i].get() == w_.errors[i], "error_responses != error answers sent");
    }
  }

  void check_registry() const {
    for (const Address& ip : {kHost4, kHost6}) {
      for (std::size_t k = 0; k < TrackingRelays::kPorts; ++k) {
        const Address a = with_port(ip, static_cast<std::uint16_t>(TrackingRelays::kFirstPort + k));
        require(w_.registry.contains(a) == w_.relays.open_at(a),
                "the relay registry disagrees with the open relays");
      }
    }
  }

  World& w_;
};

}  // namespace ferry::testing::fuzz
