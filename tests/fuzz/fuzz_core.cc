// Stateful libFuzzer target for the protocol core (issue 16, "fuzz_core"). One turn::Dispatcher per
// input, wired to a recording Egress, a relay allocator that tracks open relays and EVEN-PORT
// reservations (tests/fakes/tracking_relays.h), a real turn::Quotas (user 3, total 5), a
// RelayRegistry, alice/bob as static users and a fake clock. The input is a sequence of steps:
// client packets from six 5-tuples (UDP/TCP, IPv4/IPv6), built from structured choices or raw
// bytes, peer datagrams to relays, clock steps, TCP closes, host address changes and expiry
// ticks. After every step the invariants below are checked and a failure abort()s, which
// libFuzzer (and the gcc replay runner, replay_main.cc) reports. At the end the clock passes
// every lifetime and everything must be back: no allocation, no quota, no relay, no
// reservation, nothing in the registry, permission and channel gauges at 0.
// RFC 6062 requests (Connect, ConnectionBind) are sent too; with no TCP relay network wired
// in, TCP allocations are refused (442) and those requests must never succeed.
//
// Files: this one decodes the input into steps and builds the clients' packets;
// core_fuzz_world.h holds the server, its fakes and the clients; core_fuzz_checks.h holds the
// invariants; core_fuzz_model.h is what each client was granted, built from the answers it
// saw, never from the core's internals.
//
// Invariants:
// - Quotas::total() == allocation_count() + second relays of dual allocations + reservations
//   held == open relays + reservations (a dual allocation is one allocation of its user, and
//   two relays of the total); per user and per IPv4 client too; a dual allocation's family
//   ends only when its own lifetime does (or a Refresh deletes it), never survives an
//   expire() past it; every 5-tuple with an allocation got a success for it and
//   vice versa; an allocation never ends before its lifetime unless deleted or closed, never
//   survives an expire() past it; the registry holds exactly the open relays' addresses; the
//   core's counters (allocations by transport and family, relayed packets and bytes, answers
//   by error code) match what the Egress saw; permission and channel caps hold.
// - Nothing reaches a peer unless the sending 5-tuple has a permission for that IP granted by a
//   CreatePermission/ChannelBind success within its lifetime, the peer passes the peer policy
//   (as the host's addresses are now) and is none of the host's, loopback, multicast,
//   link-local or private addresses (an open relay excepted); it leaves from the sender's own
//   relay of the peer's family, with DF exactly when a Send's DONT-FRAGMENT counts (RFC 8656
//   §11.2), carries the sender's bytes (a part of the client packet, per the Egress contract),
//   on the channel's peer for ChannelData; max-bps and the worker capacity bound the bytes.
// - Peer data reaches only the relay's owner, only from a permitted IP, as a well-formed
//   ChannelData (on a bound channel, padded on TCP) or Data indication; and a permitted peer's
//   data, or a client's data to a permitted peer, is delivered (no silent loss).
// - Every answer to a client goes to the 5-tuple that asked, is well-formed STUN answering that
//   request (method, transaction id), carries MESSAGE-INTEGRITY exactly when the request proved
//   its key (and it verifies), no wrong credential and no other user ever gets a TURN success,
//   and a channel number or peer is not rebound while bound or resting (RFC 8656 §12).
//
// Input format: bytes 0 and 1 configure the server (see configure()); then steps. A step's
// first byte is op (low nibble) and client 5-tuple (high nibble % 6); its other bytes are read
// by the op. tests/fuzz/make_core_corpus.py writes the seed corpus in this format.
#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "core_fuzz_checks.h"
#include "core_fuzz_model.h"
#include "core_fuzz_world.h"
#include "ferry/stun/attributes.h"
#include "ferry/stun/channel_data.h"
#include "ferry/stun/message.h"

namespace ferry::testing::fuzz {
namespace {

using stun::Class;
using stun::MessageBuilder;
namespace attr = stun::attr;

constexpr std::size_t kMaxSteps = 256;
constexpr std::uint16_t kUnknownRequiredAttribute = 0x7F01;

class CoreFuzz {
 public:
  void run(Input& in) {
    const std::uint8_t f0 = in.u8();
    configure(f0, in.u8());
    w_.quotas.emplace(kUserQuota, kTotalQuota, w_.per_ip_quota);
    w_.relays.reset(&*w_.quotas, w_.capacity, w_.max_held);
    w_.egress.clear();
    w_.now = TimePoint(Seconds(1000000));
    w_.start = w_.now;
    w_.bytes_to_peer = 0;
    w_.bytes_to_client = 0;
    w_.packets_to_peer = 0;
    w_.packets_to_client = 0;
    w_.binding_answers = 0;
    w_.errors = {};
    w_.ticked = false;
    w_.tid_counter = 0;
    w_.ntokens = 0;
    for (auto& c : w_.clients) {
      c.nonce_len = 0;
      c.last_len = 0;
      c.m.clear();
    }
    w_.tcp.reset();
    w_.server = std::make_unique<turn::Dispatcher>(
        turn::Dependencies{w_.settings, w_.egress, w_.relays, w_.users, w_.nonces, *w_.quotas,
                           &w_.registry, w_.tcp_on ? &w_.tcp : nullptr, &w_.tickets});
    w_.server->set_host_addresses({kHost4, kHost6}, w_.now);
    w_.policy.set_host_addresses({kHost4, kHost6});
    for (w_.step = 0; w_.step < kMaxSteps && !in.empty(); ++w_.step) {
      step(in);
      checks_.global();
    }
    checks_.finish();
  }

 private:
  // Byte 0: bit 0 unauthenticated-response-rate 1/s (burst 3), bit 1 fingerprint, bit 2 no
  // SOFTWARE, bit 3 relay-ip set (both families), bit 4 only 3 relays at once, bit 5 RFC 5766
  // channel numbers, bit 6 one reservation at once, bit 7 no RFC 3489 compatibility.
  // Byte 1: bit 0 caps of 10 permissions and 10 channels (past the lists' inline storage and
  // the 8 entries above which they are indexed) instead of 4 and 3, bit 1 max-bps 64 B/s,
  // bit 2 a worker capacity of 100 B/s, bit 3 max-allocations-per-ip 1 (tuples 0 and 5 share an
  // address), bit 4 both host addresses listening (without relay-ip, a relay of the other
  // family than the client's binds there), bits 5-6 allocation-default-address-family (ipv4,
  // ipv6, keep, ipv4), bit 7 RFC 6062 TCP relays (a TcpNet the steps drive; else TCP
  // allocations are 442).
  void configure(std::uint8_t f, std::uint8_t g) {
    w_.settings.unauthenticated_response_rate = (f & 1) != 0 ? 1 : 0;
    w_.settings.unauthenticated_response_burst = 3;
    w_.settings.fingerprint = (f & 2) != 0;
    w_.settings.software = (f & 4) == 0;
    if ((f & 8) != 0) {
      w_.settings.relay_ips = {kHost4, kHost6};
    } else {
      w_.settings.relay_ips.clear();
    }
    w_.capacity = (f & 16) != 0 ? 3 : TrackingRelays::kMaxIds;
    w_.settings.max_channel_number = (f & 32) != 0 ? 0x7FFF : 0x4FFF;
    w_.max_held = (f & 64) != 0 ? 1 : 4;
    w_.settings.stun_backward_compatibility = (f & 128) == 0;
    w_.settings.max_permissions = (g & 1) != 0 ? 10 : 4;
    w_.settings.max_channels = (g & 1) != 0 ? 10 : 3;
    w_.settings.max_bps = (g & 2) != 0 ? 64 : 0;
    w_.settings.worker_bps_capacity = (g & 4) != 0 ? 100 : 0;
    w_.per_ip_quota = (g & 8) != 0 ? 1 : 0;
    if ((g & 16) != 0) {
      w_.settings.listening_ips = {kHost4, kHost6};
    } else {
      w_.settings.listening_ips.clear();
    }
    static constexpr std::array<turn::DefaultFamily, 4> kDefaults{
        turn::DefaultFamily::kIpv4, turn::DefaultFamily::kIpv6, turn::DefaultFamily::kKeep,
        turn::DefaultFamily::kIpv4};
    w_.settings.default_family = kDefaults[(g >> 5) & 3];
    w_.tcp_on = (g & 128) != 0;
    w_.settings.tcp_relay = w_.tcp_on;
  }

  // Ops (low nibble): 0-1 Allocate, 2 Refresh, 3 CreatePermission (or Connect), 4 ChannelBind
  // (or ConnectionBind), 5 Send
  // indication, 6 ChannelData, 7 Binding, 8 raw bytes, 9 retransmit the last packet, 10 a peer
  // datagram, 11 host addresses change, 12 advance the clock, 13 close a TCP 5-tuple, 14 tick,
  // 15 advance then tick.
  void step(Input& in) {
    const std::uint8_t op = in.u8();
    const int ti = (op >> 4) % static_cast<int>(kTuples);
    switch (op & 0x0F) {
      case 0:
      case 1:
        allocate(in, ti);
        break;
      case 2:
        refresh(in, ti);
        break;
      case 3:
        create_permission(in, ti);
        break;
      case 4:
        channel_bind(in, ti);
        break;
      case 5:
        send_indication(in, ti);
        break;
      case 6:
        channel_data(in, ti);
        break;
      case 7:
        binding(in, ti);
        break;
      case 8:
        raw(in, ti);
        break;
      case 9:
        retransmit(ti);
        break;
      case 10:
        peer_datagram(in, ti);
        break;
      case 11:
        host_addresses(in.u8());
        break;
      case 12:
        advance(in);
        break;
      case 13:
        close(ti);
        break;
      case 14:
        checks_.tick();
        break;
      case 15:
        advance(in);
        checks_.tick();
        break;
    }
  }

  // ---- decoding the structured choices ----

  std::uint32_t lifetime_from(Input& in) {
    static constexpr std::array<std::uint32_t, 10> kValues{0,    1,    599,  600,  601,
                                                           1799, 1800, 1801, 3600, 0xFFFFFFFF};
    const std::uint8_t b = in.u8() % (kValues.size() + 1);
    return b < kValues.size() ? kValues[b] : in.u32();
  }

  std::uint16_t number_from(Input& in) {
    static constexpr std::array<std::uint16_t, 10> kValues{0x3FFF, 0x4000, 0x4001, 0x4002, 0x4FFE,
                                                           0x4FFF, 0x5000, 0x7FFF, 0xFFFF, 0x0000};
    const std::uint8_t b = in.u8() % (kValues.size() + 2);
    if (b < kValues.size()) return kValues[b];
    if (b == kValues.size()) return static_cast<std::uint16_t>(0x4000 | in.u8());
    return in.u16();
  }

  std::uint8_t family_from(Input& in) {
    const std::uint8_t b = in.u8() % 4;
    return b == 0 ? 1 : b == 1 ? 2 : b == 2 ? 0 : in.u8();
  }

  // Peers: the internet (documentation ranges), this server's relays (open or not) and its
  // other addresses, and what the peer policy must refuse.
  Address peer_from(Input& in, int ti) {
    const std::uint8_t b = in.u8() % 16;
    auto relay_port = [&in] {
      return static_cast<std::uint16_t>(TrackingRelays::kFirstPort +
                                        in.u8() % TrackingRelays::kPorts);
    };
    switch (b) {
      case 0:
        return v4(192, 0, 2, 50, 7000);
      case 1:
        return v4(192, 0, 2, 50, 7001);
      case 2:
        return v4(198, 51, 100, 9, 9000);
      case 3:
        return v4(203, 0, 113, in.u8(), 1234);
      case 4:
        return v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x50}, 7000);
      case 5:
        return v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x51, in.u8()}, 7000);
      case 6:
        return with_port(kHost4, relay_port());
      case 7:
        return with_port(kHost6, relay_port());
      case 8:
        return with_port(kHost4, 3478);
      case 9:
        return v4(127, 0, 0, 1, 80);
      case 10:
        return v4(10, 0, 0, 2, 53);
      case 11:
        return v4(224, 0, 0, 1, 5000);
      case 12:
        return v6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1}, relay_port());
      case 13:
        return v4(169, 254, 169, 254, 80);
      case 14:
        return v6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 50}, 7000);
      default:
        return w_.clients[static_cast<std::size_t>((ti + 1) % static_cast<int>(kTuples))]
            .tuple.client;
    }
  }

  Cred cred_from(Input& in) {
    const std::uint8_t b = in.u8();
    Cred c;
    c.mode = (b & 0x0F) % kCredModes;
    c.other_user = (b & 0x10) != 0;
    c.mutate = (b & 0x20) != 0;
    c.sha256 = (b & 0x40) != 0;
    c.algorithms = (b & 0x80) != 0;
    c.cut_list = c.algorithms && c.other_user && c.mode == kAuto2;
    if (c.mutate) {
      c.mutate_at = in.u8();
      c.mutate_xor = static_cast<std::uint8_t>(in.u8() | 1);
    }
    return c;
  }

  // Rarer attributes: DONT-FRAGMENT, ADDITIONAL-ADDRESS-FAMILY, FINGERPRINT, an unknown
  // comprehension-required attribute, attributes after MESSAGE-INTEGRITY, MOBILITY-TICKET.
  void extras_from(Input& in, Spec& s) {
    const std::uint8_t e = in.u8();
    s.dont_fragment = (e & 1) != 0;
    s.additional = (e & 2) != 0;
    s.additional_value = (e & 4) != 0 ? 2 : 1;
    s.fingerprint = (e & 8) != 0;
    s.unknown = (e & 16) != 0;
    s.after_mi = (e & 32) != 0;
    s.ticket = (e & 64) != 0;
  }

  // ---- steps ----

  void allocate(Input& in, int ti) {
    Spec s;
    s.method = Method::kAllocate;
    const std::uint8_t f = in.u8();
    s.transport = (f & 1) == 0;
    s.protocol = (f & 2) != 0 ? attr::RequestedTransport::kTcp : attr::RequestedTransport::kUdp;
    s.even = (f & 4) != 0;
    s.reserve = (f & 8) != 0;
    if ((f & 16) != 0) {
      s.token = true;
      const std::uint8_t k = in.u8();
      if (k < 0xC0 && w_.ntokens > 0) {
        s.token_value = w_.tokens[k % w_.ntokens];
      } else {
        in.bytes(s.token_value.data(), s.token_value.size());
      }
    }
    if ((f & 32) != 0) {
      s.lifetime = true;
      s.lifetime_value = lifetime_from(in);
    }
    if ((f & 64) != 0) {
      s.family = true;
      s.family_value = family_from(in);
    }
    if ((f & 128) != 0) extras_from(in, s);
    request(ti, s, cred_from(in));
  }

  void refresh(Input& in, int ti) {
    Spec s;
    s.method = Method::kRefresh;
    const std::uint8_t f = in.u8();
    if ((f & 1) != 0) {
      s.lifetime = true;
      s.lifetime_value = lifetime_from(in);
    }
    if ((f & 2) != 0) {
      s.family = true;
      s.family_value = family_from(in);
    }
    if ((f & 128) != 0) extras_from(in, s);
    request(ti, s, cred_from(in));
  }

  // Bit 6: an RFC 6062 Connect instead, with the same peers (one expected).
  void create_permission(Input& in, int ti) {
    Spec s;
    const std::uint8_t f = in.u8();
    s.method = (f & 64) != 0 ? Method::kConnect : Method::kCreatePermission;
    s.npeers = f & 3;
    for (std::size_t i = 0; i < s.npeers; ++i) s.peers[i] = peer_from(in, ti);
    if ((f & 128) != 0) extras_from(in, s);
    request(ti, s, cred_from(in));
  }

  // Bit 6: an RFC 6062 ConnectionBind instead (CONNECTION-ID unless bit 0).
  void channel_bind(Input& in, int ti) {
    Spec s;
    const std::uint8_t f = in.u8();
    if ((f & 64) != 0) {
      s.method = Method::kConnectionBind;
      s.connection_id = (f & 1) == 0;
      s.connection_id_value = in.u32();
      if ((f & 128) != 0) extras_from(in, s);
      request(ti, s, cred_from(in));
      return;
    }
    s.method = Method::kChannelBind;
    s.number = (f & 1) == 0;
    s.number_value = number_from(in);
    s.npeers = (f & 2) == 0 ? 1 : 0;
    s.peers[0] = peer_from(in, ti);
    if ((f & 128) != 0) extras_from(in, s);
    request(ti, s, cred_from(in));
  }

  void send_indication(Input& in, int ti) {
    Client& c = w_.clients[static_cast<std::size_t>(ti)];
    Sent& sent = c.last_sent;
    sent = Sent{};
    sent.kind = Kind::kSend;
    sent.peer = peer_from(in, ti);
    const std::uint8_t f = in.u8();
    sent.has_data = (f & 1) == 0;
    sent.has_peer = (f & 2) == 0;
    sent.payload_len = (f >> 3) % 24;
    sent.dont_fragment = (f >> 3) >= 24;  // RFC 8656 §11.1
    in.bytes(sent.payload.data(), sent.payload_len);
    MessageBuilder b(MutableBytes(c.last), Method::kSend, Class::kIndication, next_tid(ti));
    if (sent.has_peer) b.add(attr::XorPeerAddress{sent.peer});
    if (sent.has_data) b.add(attr::Data{sent.payload_bytes()});
    if (sent.dont_fragment) b.add(attr::DontFragment{});
    if ((f & 4) != 0) b.add_fingerprint();
    send_last(ti, b.finish().size());
  }

  void channel_data(Input& in, int ti) {
    Client& c = w_.clients[static_cast<std::size_t>(ti)];
    Sent& sent = c.last_sent;
    sent = Sent{};
    sent.kind = Kind::kChannelData;
    sent.number = number_from(in);
    const std::uint8_t f = in.u8();
    sent.payload_len = f & 0x1F;
    in.bytes(sent.payload.data(), sent.payload_len);
    const bool lie = (f & 0x40) != 0;  // a Length beyond the datagram: discarded (§12.4)
    sent.has_data = !lie;
    std::size_t len = 4 + sent.payload_len;
    stun::write_channel_data_header(c.last.data(), sent.number,
                                    static_cast<std::uint16_t>(sent.payload_len + (lie ? 8 : 0)));
    std::copy_n(sent.payload.begin(), sent.payload_len, c.last.begin() + 4);
    if ((f & 0x20) != 0) {
      // Padding (§12.5): to a multiple of 4 on a stream; trailing bytes on UDP are ignored.
      const std::size_t to =
          c.tuple.transport == Transport::kUdp ? len + 4 : stun::padded_size(len);
      std::fill(c.last.begin() + static_cast<std::ptrdiff_t>(len),
                c.last.begin() + static_cast<std::ptrdiff_t>(to), 0xEE);
      len = to;
    }
    send_last(ti, len);
  }

  void binding(Input& in, int ti) {
    Client& c = w_.clients[static_cast<std::size_t>(ti)];
    c.last_sent = Sent{};
    c.last_sent.kind = Kind::kBinding;
    const std::uint8_t f = in.u8();
    if ((f & 2) != 0) {
      // RFC 3489: no magic cookie, a 16-byte transaction id.
      std::fill_n(c.last.begin(), 20, std::uint8_t{0});
      c.last[1] = 0x01;
      const auto tid = next_tid(ti);
      std::copy(tid.begin(), tid.end(), c.last.begin() + 8);
      c.last[4] = 0x55;
      send_last(ti, 20);
      return;
    }
    MessageBuilder b(MutableBytes(c.last), Method::kBinding, Class::kRequest, next_tid(ti));
    if ((f & 4) != 0) {
      const std::array<std::uint8_t, 4> v{};
      b.add_raw(kUnknownRequiredAttribute, Bytes(v.data(), v.size()));
    }
    if ((f & 1) != 0) b.add_fingerprint();
    send_last(ti, b.finish().size());
  }

  void raw(Input& in, int ti) {
    Client& c = w_.clients[static_cast<std::size_t>(ti)];
    c.last_sent = Sent{};
    c.last_sent.kind = Kind::kRaw;
    const std::uint8_t f = in.u8();
    const std::size_t len = in.u8();
    if ((f & 1) == 0) {
      in.bytes(c.last.data(), len);
      send_last(ti, len);
      return;
    }
    // A valid header around raw attribute bytes: the attribute walk gets the bytes.
    const std::uint16_t type = in.u16() & 0x3FFF;
    const std::size_t body = stun::padded_size(len);
    store_be16(c.last.data(), type);
    store_be16(c.last.data() + 2, static_cast<std::uint16_t>(body));
    store_be32(c.last.data() + 4, stun::kMagicCookie);
    const auto tid = next_tid(ti);
    std::copy(tid.begin(), tid.end(), c.last.begin() + 8);
    std::fill_n(c.last.begin() + 20, body, std::uint8_t{0});
    in.bytes(c.last.data() + 20, len);
    send_last(ti, 20 + body);
  }

  void retransmit(int ti) {
    Client& c = w_.clients[static_cast<std::size_t>(ti)];
    if (c.last_len == 0) return;
    w_.log("retransmit", ti);
    checks_.client_packet(ti, Bytes(c.last.data(), c.last_len), c.last_sent);
  }

  // Bit 6 of the first byte, with TCP relays on: an event of the TCP relay network instead.
  void peer_datagram(Input& in, int ti) {
    const std::uint8_t r = in.u8();
    if ((r & 0x40) != 0 && w_.tcp_on) {
      tcp_event(in, ti, r);
      return;
    }
    turn::RelayId id = r & 0x1F;
    if ((r & 0x80) == 0) {
      const Model& m = w_.clients[r % kTuples].m;
      if (m.alive) id = (r & 0x40) != 0 && m.dual ? m.relay2 : m.relay;
    }
    const Address peer = peer_from(in, ti);
    std::array<std::uint8_t, 32> data{};
    const std::size_t len = in.u8() % 24;
    in.bytes(data.data(), len);
    w_.log("peer datagram", ti, static_cast<long>(id));
    checks_.peer_packet(id, peer, Bytes(data.data(), len));
  }

  // RFC 6062's network: a Connect's connection succeeds or fails, a peer connects in to a
  // client's relay (`r` picks the client, or with bit 7 a relay id), or a connection closes.
  void tcp_event(Input& in, int ti, std::uint8_t r) {
    const std::uint8_t k = in.u8();
    const std::uint8_t pick = in.u8();
    auto nth = [&](bool connecting) -> turn::ConnectionId {
      std::vector<turn::ConnectionId> ids;
      for (const auto& c : w_.tcp.conns) {
        if (!connecting || c.state == TcpNet::State::kConnecting) ids.push_back(c.id);
      }
      return ids.empty() ? 0 : ids[pick % ids.size()];
    };
    switch (k % 4) {
      case 0:
      case 1:
        if (auto id = nth(true)) checks_.peer_connected(id, k % 4 == 0);
        return;
      case 2: {
        turn::RelayId relay = r & 0x1F;
        if ((r & 0x80) == 0) {
          const Model& m = w_.clients[r % kTuples].m;
          if (m.alive) relay = m.relay;
        }
        checks_.peer_accepted(relay, peer_from(in, ti));
        return;
      }
      default:
        if (auto id = nth(false)) checks_.connection_closed(id);
        return;
    }
  }

  // The host's addresses change (an interface comes or goes): some peers become the host's.
  // The core must revoke what it granted to them (it checks the policy when it grants, not
  // per packet); the model's certainty about those grants ends (the server may have revoked
  // them), and the checks use the new policy from now on.
  void host_addresses(std::uint8_t b) {
    std::vector<Address> hosts{kHost4, kHost6};
    if ((b & 1) != 0) hosts.push_back(v4(192, 0, 2, 50, 0));
    if ((b & 2) != 0)
      hosts.push_back(v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x50}, 0));
    if ((b & 4) != 0) hosts.push_back(v4(198, 51, 100, 9, 0));
    w_.log("host addresses", -1, b & 7);
    w_.egress.clear();
    w_.server->set_host_addresses(hosts, w_.now);
    w_.policy.set_host_addresses(hosts);
    require(w_.egress.count() == 0, "a change of host addresses sent something");
    checks_.host_change();
  }

  void advance(Input& in) {
    const std::uint16_t v = in.u16();
    const Duration d =
        (v & 0x8000) != 0 ? Duration(Millis(v & 0x7FFF)) : Duration(Seconds(v % 701));
    w_.log("advance ms", -1, static_cast<long>(std::chrono::duration_cast<Millis>(d).count()));
    w_.now += d;
    if (d > Duration::zero()) w_.ticked = false;
  }

  void close(int ti) {
    static constexpr std::array<int, 3> kTcp{2, 4, 5};
    const int t = kTcp[static_cast<std::size_t>(ti) % kTcp.size()];
    Client& c = w_.clients[static_cast<std::size_t>(t)];
    w_.log("close", t);
    w_.egress.clear();
    w_.server->on_client_closed(c.tuple);
    require(w_.egress.count() == 0, "closing a connection sent something");
    require(!w_.server->has_allocation(c.tuple), "an allocation survived its TCP connection");
    c.m.clear();
  }

  // ---- requests ----

  stun::TransactionId next_tid(int ti) {
    stun::TransactionId t{};
    t[0] = static_cast<std::uint8_t>(0xF0 | ti);
    ++w_.tid_counter;
    for (std::size_t i = 0; i < 8; ++i)
      t[4 + i] = static_cast<std::uint8_t>(w_.tid_counter >> (8 * i));
    return t;
  }

  void request(int ti, const Spec& s, const Cred& cred) {
    Client& c = w_.clients[static_cast<std::size_t>(ti)];
    if (auto_mode(cred.mode) && c.nonce_len == 0) {
      Cred challenge;
      challenge.mode = kUnsigned;
      send_request(ti, s, challenge);
    }
    const ReplyInfo r = send_request(ti, s, cred);
    if (auto_mode(cred.mode) && r.code == 438) send_request(ti, s, cred);
  }

  ReplyInfo send_request(int ti, const Spec& s, const Cred& cred) {
    Client& c = w_.clients[static_cast<std::size_t>(ti)];
    Sent& sent = c.last_sent;
    sent = Sent{};
    sent.kind = Kind::kRequest;
    sent.spec = s;
    MessageBuilder b(MutableBytes(c.last), s.method, Class::kRequest, next_tid(ti));
    add_attributes(b, s);
    sign(b, ti, cred, sent);
    if (s.after_mi) {
      b.add(attr::Lifetime{0});
      b.add(attr::XorPeerAddress{v4(10, 0, 0, 2, 53)});
    }
    if (s.fingerprint) b.add_fingerprint();
    const std::size_t len = b.finish().size();
    require(len > 0, "harness: a request did not fit");
    if (cred.mutate) c.last[cred.mutate_at % len] ^= cred.mutate_xor;
    w_.log("request", ti, static_cast<long>(s.method) * 100 + cred.mode);
    return send_last(ti, len);
  }

  void add_attributes(MessageBuilder& b, const Spec& s) {
    auto family = [&b](std::uint16_t type, std::uint8_t value) {
      const std::array<std::uint8_t, 4> v{value, 0, 0, 0};
      b.add_raw(type, Bytes(v.data(), v.size()));
    };
    if (s.method == Method::kAllocate) {
      if (s.transport) b.add(attr::RequestedTransport{s.protocol});
      if (s.even) b.add(attr::EvenPort{s.reserve});
      if (s.token) b.add(attr::ReservationToken{s.token_value});
      if (s.dont_fragment) b.add(attr::DontFragment{});
      if (s.additional) family(attr::AdditionalAddressFamily::kType, s.additional_value);
    }
    if (s.lifetime) b.add(attr::Lifetime{s.lifetime_value});
    if (s.family) family(attr::RequestedAddressFamily::kType, s.family_value);
    if (s.method == Method::kChannelBind && s.number) b.add(attr::ChannelNumber{s.number_value});
    if (s.connection_id) b.add(attr::ConnectionId{s.connection_id_value});
    for (std::size_t i = 0; i < s.npeers; ++i) b.add(attr::XorPeerAddress{s.peers[i]});
    if (s.ticket && (s.method == Method::kAllocate || s.method == Method::kRefresh)) {
      b.add(attr::MobilityTicket{});
    }
    if (s.unknown) {
      const std::array<std::uint8_t, 4> v{};
      b.add_raw(kUnknownRequiredAttribute, Bytes(v.data(), v.size()));
    }
  }

  void sign(MessageBuilder& b, int ti, const Cred& cred, Sent& sent) {
    if (cred.mode == kUnsigned) return;
    const Client& c = w_.clients[static_cast<std::size_t>(ti)];
    const int user = cred.other_user ? 1 - c.user : c.user;
    const auto u = static_cast<std::size_t>(user);
    const std::string_view name = cred.mode == kUnknownUser ? "mallory" : kUsers[u];
    const std::string_view realm = cred.mode == kWrongRealm ? "evil.org" : kRealm;
    const auth::Md5Key& key = cred.mode == kWrongPassword ? w_.wrong_keys[u]
                              : cred.mode == kWrongRealm  ? w_.other_realm_keys[u]
                              : cred.mode == kUnknownUser ? w_.mallory_key
                                                          : w_.keys[u];
    if (cred.mode != kNoUsername) b.add(attr::Username{name});
    b.add(attr::Realm{realm});
    if (cred.mode == kBadNonce) {
      b.add(attr::Nonce{"0000000000000000forgedforgedforgedforgedforged00"});
    } else if (cred.mode == kOtherNonce) {
      b.add(attr::Nonce{w_.clients[static_cast<std::size_t>(ti + 1) % kTuples].nonce_view()});
    } else if (cred.mode != kNoNonce) {
      b.add(attr::Nonce{c.nonce_view()});
    }
    if (cred.algorithms) {
      const Bytes offered(auth::kOfferedPasswordAlgorithms);
      b.add_raw(attr::PasswordAlgorithms::kType, cred.cut_list ? offered.subspan(4) : offered);
      b.add_raw(attr::PasswordAlgorithm::kType, offered.subspan(4));  // MD5
    }
    const Bytes k(key.data(), key.size());
    if (cred.sha256) {
      b.add_message_integrity_sha256(k);
    } else {
      b.add_message_integrity(k);
    }
    const bool right_key = cred.mode != kWrongPassword && cred.mode != kWrongRealm &&
                           cred.mode != kUnknownUser && cred.mode != kNoUsername;
    if (right_key && !cred.cut_list) sent.user = user;
    sent.may_succeed = sent.user >= 0 && cred.mode != kBadNonce && cred.mode != kNoNonce;
  }

  ReplyInfo send_last(int ti, std::size_t len) {
    Client& c = w_.clients[static_cast<std::size_t>(ti)];
    c.last_len = len;
    return checks_.client_packet(ti, Bytes(c.last.data(), len), c.last_sent);
  }

  World w_;
  Checks checks_{w_};
};

}  // namespace
}  // namespace ferry::testing::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static auto* fuzz = new ferry::testing::fuzz::CoreFuzz();  // lives for the process
  ferry::testing::fuzz::Input in(data, size);
  fuzz->run(in);
  return 0;
}
