// What the stateful core fuzzer's model (core_fuzz_model.h) learns from each TURN success a
// client sees, checked against what the request asked for on the way (fuzz_core.cc): lifetimes,
// relays and their families (dual allocations, RFC 8656 §7.2, §8), permissions and channels.
// Split from core_fuzz_checks.h, which calls it; a failure abort()s.
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
#include "ferry/turn/peer_policy.h"

namespace ferry::testing::fuzz {

class Grants {
  using Class = stun::Class;
  using MessageView = stun::MessageView;
  using PeerVerdict = turn::PeerVerdict;

 public:
  explicit Grants(World& w) : w_(w) {}

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
    if (!replay && (method == Method::kAllocate || method == Method::kRefresh)) {
      // RFC 8016 §3.1-3.2: a success to a request asking for a ticket carries a fresh one (a
      // deletion none); no other success carries one.
      auto t = m.get<attr::MobilityTicket>();
      const bool deleted = method == Method::kRefresh && granted(m) == 0;
      if (s.ticket && !deleted) {
        require(t && t->value.size() == auth::TicketCodec::kSize, "a ticket asked for, none given");
        require(!is_stream(c.tuple.transport), "a ticket for a stream's allocation");
      } else {
        require(!t, "a ticket nobody asked for");
      }
    }
    if (method == Method::kAllocate) {
      apply_allocate(ti, m, sent, replay);
      return;
    }
    if (method == Method::kConnectionBind) {
      apply_connection_bind(ti, sent);
      return;
    }
    require(md.alive, "a TURN request succeeded on a 5-tuple without an allocation");
    // RFC 8656 §8.1-8.2: a Refresh's REQUESTED-ADDRESS-FAMILY names one family of a dual
    // allocation (443 if it has none), and LIFETIME 0 with it deletes that family alone.
    const bool named =
        method == Method::kRefresh && s.family && (s.family_value == 1 || s.family_value == 2);
    const Family f = !named ? Family::kNone : s.family_value == 1 ? Family::kV4 : Family::kV6;
    const bool deletes = method == Method::kRefresh && s.lifetime && s.lifetime_value == 0;
    // The request may have found a family's lifetime over and ended it first.
    if (w_.server->has_allocation(c.tuple) && !replay) {
      sync_families(md, deletes ? f : Family::kNone);
    }
    require(sent.user == md.user, "a request of another user succeeded on an allocation");
    if (replay) return;
    // RFC 6062 §5.2: a Connect succeeds when its connection does (peer_connected), then only
    // as that answer again.
    require(method != Method::kConnect, "a Connect succeeded before its connection");
    md.last_tid = m.transaction_id();
    if (method == Method::kRefresh) {
      const std::uint32_t l = granted(m);
      require((l == 0) == deletes, "Refresh answered LIFETIME 0 iff it asked for 0");
      require(!named || md.serves(f), "a Refresh naming a family the allocation lacks succeeded");
      if (l == 0) {
        if (named && md.dual) {
          const bool first = f == md.relay_address.family();
          if (w_.server->has_allocation(c.tuple)) {
            md.drop(first, w_.now);
            return;
          }
          // The other family's lifetime had passed: this request ended the last one.
          require(w_.now >= (first ? md.until2.lo : md.until.lo),
                  "deleting one family ended the allocation");
          md.clear();
          return;
        }
        require(!w_.server->has_allocation(c.tuple), "a deleted allocation is still there");
        md.clear();
        return;
      }
      check_granted(l);
      if (!md.dual || !named || f == md.relay_address.family()) md.until.fresh(w_.now + Seconds(l));
      if (md.dual && (!named || f == md.relay2_address.family())) {
        md.until2.fresh(w_.now + Seconds(l));
      }
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

  // A dual allocation loses a family when that family's lifetime has passed (at a tick, or
  // when a request finds it lapsed): the model learns which from the relays still open.
  // `deleted`: a family the request being checked deleted itself (left to its handler).
  void sync_families(Model& md, Family deleted = Family::kNone) const {
    if (!md.dual) return;
    const bool first =
        w_.relays.is_open(md.relay) && w_.relays.address_of(md.relay) == md.relay_address;
    const bool second =
        w_.relays.is_open(md.relay2) && w_.relays.address_of(md.relay2) == md.relay2_address;
    require(first || second, "a dual allocation lives on without a relay");
    if ((!first && md.relay_address.family() == deleted) ||
        (!second && md.relay2_address.family() == deleted)) {
      return;
    }
    if (!second) {
      require(w_.now >= md.until2.lo, "a family ended before its lifetime");
      md.drop(false, w_.now);
    } else if (!first) {
      require(w_.now >= md.until.lo, "a family ended before its lifetime");
      md.drop(true, w_.now);
    } else {
      require(!w_.ticked || (w_.now < md.until.hi && w_.now < md.until2.hi),
              "a family outlived its lifetime and expire()");
    }
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

 private:
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

  void check_peer_grantable(const Model& md, const Address& peer) const {
    require(md.serves(peer.family()), "a peer of a family the allocation lacks was granted");
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
  // expired. (A cached Allocate answer names the allocation's relays as they are: a family
  // ends alone only after a Refresh, which replaces the cached answer.)
  void apply_allocate(int ti, const MessageView& m, const Sent& sent, bool replay_possible) {
    Client& c = w_.clients[static_cast<std::size_t>(ti)];
    Model& md = c.m;
    const Spec& s = sent.spec;
    const std::uint32_t l = granted(m);
    check_granted(l);
    std::array<Address, 2> relayed{};
    std::size_t n = 0;
    for (std::size_t i = 0; i < m.attribute_count(); ++i) {
      const stun::RawAttribute raw = m.attribute(i);
      if (raw.type != attr::XorRelayedAddress::kType) continue;
      auto a = attr::XorRelayedAddress::parse(raw.value, m.transaction_id());
      require(a.ok() && n < relayed.size(), "more than two XOR-RELAYED-ADDRESS, or a bad one");
      relayed[n++] = a->address;
    }
    auto mapped = m.get<attr::XorMappedAddress>();
    require(n >= 1, "an Allocate success without XOR-RELAYED-ADDRESS");
    require(mapped && mapped->address == c.tuple.client, "XOR-MAPPED-ADDRESS is not the client");
    check_families(c, s, relayed, n, m.get<attr::AddressErrorCode>());
    const bool fresh_possible = !md.alive || w_.now >= md.end().lo;
    require(replay_possible || fresh_possible, "a second allocation on one 5-tuple");
    if (!fresh_possible) {
      require(relayed[0] == md.answered_first, "a repeated Allocate got another relay");
      return;
    }
    std::array<turn::RelayId, 2> ids{};
    for (std::size_t i = 0; i < n; ++i) {
      require(w_.relays.open_at(relayed[i], &ids[i]), "an Allocate succeeded with no relay open");
    }
    if (replay_possible && relayed[0] == md.answered_first) {
      // The old allocation's cached answer, or a new one on the same port: nothing certain
      // (the same user either way: the cached answer was this very request's).
      Bounds b = md.end();
      b.maybe(w_.now + Seconds(l));
      set_relays(md, relayed, ids, n);
      md.until = b;
      md.until2 = b;
      for (std::size_t i = 0; i < md.nperms; ++i)
        md.perms[i].until.lo = std::min(md.perms[i].until.lo, w_.now);
      for (std::size_t i = 0; i < md.nchans; ++i)
        md.chans[i].until.lo = std::min(md.chans[i].until.lo, w_.now - w_.settings.channel_rest);
      return;
    }
    for (std::size_t i = 0; i < n; ++i) {
      for (const auto& other : w_.clients) {
        require(&other == &c || !other.m.owns(ids[i]), "two allocations share one relay");
      }
      // RFC 8656 §7.2: DONT-FRAGMENT gives relays that send with DF, and nothing else does.
      require(w_.relays.dont_fragment(ids[i]) == s.dont_fragment,
              "a relay's DF does not follow the Allocate's DONT-FRAGMENT");
      if (s.even && !s.token) require(relayed[i].port() % 2 == 0, "EVEN-PORT got an odd port");
    }
    auto token = m.get<attr::ReservationToken>();
    if (s.token) {
      require(!w_.relays.is_held(s.token_value), "a claimed reservation is still held");
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
    require(!tcp || (w_.tcp_on && c.tuple.transport != Transport::kUdp && n == 1),
            "a TCP allocation without the TCP relay network, over UDP or dual");
    md.clear();
    md.alive = true;
    md.tcp = tcp;
    set_relays(md, relayed, ids, n);
    md.counted_v6 = relayed[0].is_v6();
    md.answered_first = relayed[0];
    md.user = sent.user;
    md.last_tid = m.transaction_id();
    md.until.fresh(w_.now + Seconds(l));
    md.until2 = md.until;
    md.created = w_.now;
    md.bytes_to_peer = 0;
    md.bytes_to_client = 0;
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
    const int owner = w_.tcp_owner(conn->relay);
    require(owner >= 0 && sent.user == w_.clients[static_cast<std::size_t>(owner)].m.user,
            "a ConnectionBind of another user succeeded");
  }

  static void set_relays(Model& md, const std::array<Address, 2>& relayed,
                         const std::array<turn::RelayId, 2>& ids, std::size_t n) {
    md.relay = ids[0];
    md.relay_address = relayed[0];
    md.dual = n == 2;
    md.relay2 = ids[1];
    md.relay2_address = relayed[1];
  }

  // The relays' families against what was asked (RFC 8656 §7.2): one of the requested or
  // default family; with ADDITIONAL-ADDRESS-FAMILY IPv4 then IPv6, or one of them and an
  // ADDRESS-ERROR-CODE saying why not the other (440: no address of it; 508: none free).
  void check_families(const Client& c, const Spec& s, const std::array<Address, 2>& relayed,
                      std::size_t n, const std::optional<attr::AddressErrorCode>& aec) const {
    if (!s.additional) {
      require(n == 1 && !aec, "a second relay or ADDRESS-ERROR-CODE nobody asked for");
      if (s.token) return;  // the reserved port's family, whatever was asked
      Family want = w_.default_family(c.tuple);
      if (s.family && (s.family_value == 1 || s.family_value == 2))
        want = s.family_value == 1 ? Family::kV4 : Family::kV6;
      require(relayed[0].family() == want, "a relay of the wrong family");
      return;
    }
    require(s.additional_value == 2 && !s.family && !s.token && !(s.even && s.reserve),
            "an Allocate with ADDITIONAL-ADDRESS-FAMILY that §7.2 refuses succeeded");
    if (n == 2) {
      require(relayed[0].is_v4() && relayed[1].is_v6() && !aec,
              "a dual allocation's relays are not IPv4 then IPv6");
      return;
    }
    require(aec.has_value() && aec->family != relayed[0].family() && aec->family != Family::kNone,
            "half a dual allocation without ADDRESS-ERROR-CODE for the other family");
    const bool has = w_.has_relay_address(c.tuple, aec->family);
    require((aec->code == 440 && !has) || (aec->code == 508 && has),
            "ADDRESS-ERROR-CODE's code does not match why the family failed");
  }

  World& w_;
};

}  // namespace ferry::testing::fuzz
