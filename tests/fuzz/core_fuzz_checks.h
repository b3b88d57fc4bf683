// The invariants of the stateful core fuzzer (fuzz_core.cc), checked on what each call into
// the core emitted and, after every step, on the whole state; a failure abort()s. The model
// they update (core_fuzz_model.h) is built from the answers clients saw, never from the
// core's internals.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

#include "core_fuzz_grants.h"
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
      if (w_.clients[i].m.owns(id)) owner = static_cast<int>(i);
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
    // The relay of the peer's family, certainly open (a dual allocation's family may end alone).
    const bool leg_alive =
        (id == m.relay && peer.family() == m.relay_address.family() && w_.now < m.until.lo) ||
        (m.dual && id == m.relay2 && peer.family() == m.relay2_address.family() &&
         w_.now < m.until2.lo);
    if (w_.certainly_alive(m) && leg_alive && w_.relays.is_open(id) && p != nullptr &&
        w_.now < p->until.lo && !w_.bandwidth_limited() &&
        w_.policy.check(peer) != PeerVerdict::kRefused) {
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
    const int owner = w_.tcp_owner(relay);
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
    // MESSAGE-INTEGRITY-SHA256 when the last request of that user named a PASSWORD-ALGORITHM.
    require(stun::check_message_integrity(m, Bytes(key.data(), key.size())) ||
                stun::check_message_integrity_sha256(m, Bytes(key.data(), key.size())),
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
    const int owner = w_.tcp_owner(relay);
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
    std::size_t seconds = 0;  // dual allocations' second relays
    for (auto& c : w_.clients) {
      const bool has = w_.server->has_allocation(c.tuple);
      if (has) {
        require(c.m.alive, "an allocation exists that no success response announced");
        require(!w_.ticked || w_.now < c.m.end().hi,
                "an allocation outlived its lifetime and expire()");
        grants_.sync_families(c.m);
      } else if (c.m.alive) {
        require(w_.now >= c.m.end().lo, "an allocation ended before its lifetime");
        c.m.clear();
      }
      if (!c.m.alive) continue;
      ++alive;
      seconds += c.m.dual ? 1 : 0;
      ++per_user[static_cast<std::size_t>(c.m.user)];
      c.m.forget(w_.now, w_.settings.channel_rest);
      grants_.check_caps(c.m);
      require(w_.relays.is_open(c.m.relay) && w_.relays.address_of(c.m.relay) == c.m.relay_address,
              "an allocation's relay is not open");
      for (const auto& other : w_.clients) {
        require(&other == &c || !other.m.owns(c.m.relay), "two allocations share one relay");
        require(&other == &c || !c.m.dual || !other.m.owns(c.m.relay2),
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
    require(w_.relays.open_count() == alive + seconds, "open relays != allocations' relays");
    // A dual allocation counts once against user-quota and once more, for its second relay,
    // against total-quota (Quotas::acquire_relay).
    require(w_.quotas->total() == alive + seconds + w_.relays.held_count(),
            "quota total != allocations + second relays + reservations");
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
    require(sum + seconds == w_.quotas->total(),
            "per-user counts and second relays do not add up to the total");
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
    require(w_.quotas->total() <= kTotalQuota, "total-quota exceeded");
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
    const Client& c = w_.clients[static_cast<std::size_t>(ti)];
    Model& m = w_.clients[static_cast<std::size_t>(ti)].m;
    require(sent.kind != Kind::kRequest && sent.kind != Kind::kBinding,
            "a request sent data to a peer");
    require(m.alive, "data reached a peer from a client that has no allocation");
    require(rec.relay == m.relay_for(rec.peer),
            "data left from a relay that is not the sender's relay of the peer's family");
    if (sent.kind == Kind::kSend) {
      // RFC 8656 §11.2, §13-15: DF for IPv4 to IPv4, and for anything over TCP.
      const bool stream = c.tuple.transport == Transport::kTcp;
      const bool counts = stream || (c.tuple.client.is_v4() && rec.peer.is_v4());
      require(rec.dont_fragment == (sent.dont_fragment && counts),
              "a Send's DONT-FRAGMENT was not applied as RFC 8656 §11.2 says");
    } else if (sent.kind == Kind::kChannelData) {
      require(!rec.dont_fragment, "ChannelData was sent with DF");
    }
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
    if (m.message_integrity_sha256()) {
      require(sent.kind == Kind::kRequest && sent.user >= 0,
              "MESSAGE-INTEGRITY-SHA256 in the answer to an unproven request");
      const auth::Md5Key& k = w_.keys[static_cast<std::size_t>(sent.user)];
      require(stun::check_message_integrity_sha256(m, Bytes(k.data(), k.size())),
              "an answer's MESSAGE-INTEGRITY-SHA256 does not verify with the requester's key");
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
    // RFC 8489 §9.2.4: an RFC 8489 request (PASSWORD-ALGORITHM) is answered with
    // MESSAGE-INTEGRITY-SHA256 (verified above), an RFC 5389 one with MESSAGE-INTEGRITY.
    require(mi || m.message_integrity_sha256().has_value(),
            "a TURN success without MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256");
    require(sent.kind == Kind::kRequest, "a raw packet authenticated");
    require(sent.may_succeed, "a TURN success for a request with wrong credentials");
    grants_.apply_success(ti, m, sent);
    return info;
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
      ++live[turn::allocation_slot(c.tuple.transport, c.m.counted_v6)];
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
  Grants grants_{w_};
};

}  // namespace ferry::testing::fuzz
