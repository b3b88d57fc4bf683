// The data path (RFC 8656 §10-12): Send indications and ChannelData from clients to peers, and
// peer datagrams back as ChannelData (bound channel) or Data indications. No heap allocation:
// parse in place, look up, copy once into the per-worker buffer.
#include <cstring>

#include "allocation.h"
#include "allocations.h"
#include "ferry/stun/attributes.h"
#include "ferry/stun/channel_data.h"
#include "ferry/turn/dispatcher.h"

namespace ferry::turn {

using stun::Class;
using stun::MessageBuilder;
using stun::MessageView;
namespace attr = stun::attr;

namespace {

// RFC 8656 §11.2 leaves DONT-FRAGMENT to §13-15: it sets DF for IPv4-to-IPv4 relaying (§14)
// and for data the client sent over TCP or TLS (§15, either family); a UDP relay that changes
// family, or relays IPv6 to IPv6, ignores it (§13: fragmentation follows RFC 7915 there).
bool dont_fragment_counts(const FiveTuple& t, const Address& peer) {
  const bool stream = t.transport == Transport::kTcp || t.transport == Transport::kTls;
  return stream || (t.client.is_v4() && peer.is_v4());
}

}  // namespace

void Dispatcher::handle_send(const MessageView& m, Allocation& a, TimePoint now) {
  // §11.2: no response to indications; anything wrong means a silent drop.
  auto peer = m.get<attr::XorPeerAddress>();
  auto data = m.get<attr::Data>();
  if (!peer || !data) {
    ++counters_.dropped_malformed;
    return;
  }
  // §9: a permission for the peer's IP, checked against the peer policy when it was
  // installed (and revoked if the host's addresses change: set_host_addresses). Per packet
  // only what depends on the port: another relay of ours must still be open, and the
  // server's own listening endpoints are never a destination.
  const Permission* p = a.permission_for(peer->address);
  // RFC 6062 §5.1: a TCP allocation relays over its peer connections only.
  if (p == nullptr || now >= p->expires || a.tcp ||
      (p->via_relay ? !policy_.open_relay(peer->address) : policy_.own_endpoint(peer->address))) {
    ++counters_.dropped_no_permission;
    return;
  }
  // §11.2: DF on this datagram when DONT-FRAGMENT asks for it where it counts; a server that
  // cannot set DF treats the attribute as an unknown comprehension-required one (the
  // indication is dropped). A Send of XOR-PEER-ADDRESS and DATA alone (and FINGERPRINT), the
  // usual one, has no room for it: one compare instead of an attribute scan.
  const std::size_t usual = 2 + (m.has_fingerprint() ? 1 : 0);
  const bool dont_fragment = m.attribute_count() > usual && m.has<attr::DontFragment>() &&
                             dont_fragment_counts(a.tuple, peer->address);
  if (dont_fragment && !deps_.relays.can_dont_fragment()) {
    ++counters_.dropped_malformed;
    return;
  }
  if (bandwidth_limited_ &&
      !within_bandwidth(a.to_peer_rate, capacity_to_peer_, data->value.size(), now)) {
    return;
  }
  ++counters_.relayed_to_peer;
  counters_.relayed_bytes_to_peer.add(data->value.size());
  // A dual allocation sends from the relay of the peer's family (RFC 8656 §7.2).
  if (dont_fragment) {
    egress_.to_peer_dont_fragment(a.relay_for(peer->address), peer->address, data->value);
    return;
  }
  egress_.to_peer(a.relay_for(peer->address), peer->address, data->value);
}

bool Dispatcher::within_bandwidth(RateGate& allocation_gate, RateGate& worker_gate,
                                  std::size_t bytes, TimePoint now) {
  // The allocation's own limit first: a client over its max-bps must not use up the
  // server's capacity that others share.
  if ((settings_.max_bps != 0 && !allocation_gate.pass(bytes, settings_.max_bps, now)) ||
      (settings_.worker_bps_capacity != 0 &&
       !worker_gate.pass(bytes, settings_.worker_bps_capacity, now))) {
    ++counters_.dropped_bandwidth;
    return false;
  }
  return true;
}

void Dispatcher::handle_channel_data(const FiveTuple& t, Bytes packet, TimePoint now) {
  auto cd =
      stun::ChannelDataView::parse(packet, is_stream(t.transport), settings_.max_channel_number);
  Allocation* found = cd ? allocations_->find(t) : nullptr;
  if (found == nullptr) {
    ++counters_.dropped_malformed;
    return;
  }
  Allocation& a = *found;
  Channel* c = a.channel_by_number(cd->channel);
  // §12.5: data on an unbound (or expired) channel is discarded. The permission installed with
  // the channel is checked too: it can expire earlier if the client stops refreshing it. A
  // channel to another relay of this server lasts only while that relay is open: after it
  // closes, its port may be bound by a local service (issue 16 item 7).
  if (c == nullptr || now >= c->expires || !a.permitted(c->peer, now) ||
      (c->via_relay && !policy_.open_relay(c->peer))) {
    ++counters_.dropped_no_permission;
    return;
  }
  if (bandwidth_limited_ &&
      !within_bandwidth(a.to_peer_rate, capacity_to_peer_, cd->data.size(), now)) {
    return;
  }
  ++counters_.relayed_to_peer;
  counters_.relayed_bytes_to_peer.add(cd->data.size());
  egress_.to_peer(a.relay_for(c->peer), c->peer, cd->data);
}

void Dispatcher::on_peer_packet(RelayId relay, const Address& peer, Bytes packet, TimePoint now) {
  Allocation* found = allocations_->by_relay(relay);
  if (found == nullptr) return;
  Allocation& a = *found;
  const Permission* p = a.permission_for(peer);
  // §10.3/§11.3: no permission, no delivery. A permission that exists only because its IP is
  // another relay of this server admits that relay's ports alone, not the host's services.
  // A TCP allocation's relay socket only holds its port (RFC 6062: peers use TCP).
  if (p == nullptr || now >= p->expires || (p->via_relay && !policy_.open_relay(peer)) || a.tcp) {
    ++counters_.dropped_no_permission;
    return;
  }
  if (bandwidth_limited_ &&
      !within_bandwidth(a.to_client_rate, capacity_to_client_, packet.size(), now)) {
    return;
  }
  ++counters_.relayed_to_client;
  counters_.relayed_bytes_to_client.add(packet.size());
  Channel* c = a.channel_by_peer(peer);
  if (c != nullptr && now < c->expires && packet.size() <= 0xFFFF) {
    // §12.5: ChannelData; over TCP/TLS padded to a multiple of 4 (not over UDP or DTLS).
    stun::write_channel_data_header(relay_buf_.data(), c->number,
                                    static_cast<std::uint16_t>(packet.size()));
    std::memcpy(relay_buf_.data() + 4, packet.data(), packet.size());
    std::size_t len = 4 + packet.size();
    if (is_stream(a.tuple.transport)) {
      std::size_t padded = stun::padded_size(len);
      std::memset(relay_buf_.data() + len, 0, padded - len);
      len = padded;
    }
    egress_.to_client(a.tuple, Bytes(relay_buf_.data(), len));
    return;
  }
  // §11.3: a Data indication. Its transaction id need only be unique, not unpredictable: a
  // counter, not a CSPRNG call per packet.
  stun::TransactionId tid{};
  ++indication_counter_;
  std::memcpy(tid.data(), &indication_counter_, sizeof indication_counter_);
  MessageBuilder b(relay_buf_, stun::Method::kData, Class::kIndication, tid);
  b.add(attr::XorPeerAddress{peer});
  b.add(attr::Data{packet});
  if (settings_.fingerprint) b.add_fingerprint();
  Bytes out = b.finish();
  if (!out.empty()) egress_.to_client(a.tuple, out);
}

}  // namespace ferry::turn
