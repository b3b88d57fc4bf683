// Refresh (RFC 8656 §7.3-7.5), CreatePermission (§9) and ChannelBind (§12) on an existing,
// authenticated allocation.
#include <array>

#include "allocation.h"
#include "ferry/stun/attributes.h"
#include "ferry/stun/channel_data.h"
#include "ferry/turn/server.h"

namespace ferry::turn {

using stun::Class;
using stun::MessageBuilder;
using stun::MessageView;
namespace attr = stun::attr;

namespace {

// Every XOR-PEER-ADDRESS before MESSAGE-INTEGRITY (RFC 8656 §9.1: a CreatePermission may carry
// several). Returns how many; -1 if one is malformed.
int peer_addresses(const MessageView& m, std::span<Address> out) {
  auto mi = m.message_integrity();
  int n = 0;
  for (std::size_t i = 0; i < m.attribute_count(); ++i) {
    const auto& raw = m.attribute(i);
    if (mi && raw.offset >= mi->offset) break;  // RFC 8489 §14.5: the rest is ignored
    if (raw.type != attr::XorPeerAddress::kType) continue;
    auto p = attr::XorPeerAddress::parse(raw.value, m.transaction_id());
    if (!p) return -1;
    if (static_cast<std::size_t>(n) == out.size()) return -1;
    out[static_cast<std::size_t>(n++)] = p->address;
  }
  return n;
}

}  // namespace

void Server::handle_refresh(const FiveTuple& t, const MessageView& m, Allocation& a,
                            TimePoint now) {
  if (auto f = m.get<attr::RequestedAddressFamily>(); f && f->family != a.relay.address.family()) {
    send_error(t, m, 443, a.integrity_key());  // §7.5: the family of an allocation cannot change
    return;
  }
  auto requested = m.get<attr::Lifetime>();
  MessageBuilder b(out_, m.method(), Class::kSuccess, m.transaction_id());
  if (requested && requested->seconds == 0) {
    // §7.5: LIFETIME 0 deletes the allocation at once.
    b.add(attr::Lifetime{0});
    auto key = a.key;
    finish_and_send(t, m, b, a.authenticated ? &key : nullptr, nullptr);
    remove(a);
    return;
  }
  Seconds lifetime = granted_lifetime(m);
  a.expires = now + lifetime;
  schedule(a, a.expires);  // a shorter lifetime than before needs an earlier timer
  b.add(attr::Lifetime{static_cast<std::uint32_t>(lifetime.count())});
  finish_and_send(t, m, b, a.integrity_key(), &a);
}

void Server::handle_create_permission(const FiveTuple& t, const MessageView& m, Allocation& a,
                                      TimePoint now) {
  std::array<Address, 16> peers;
  int n = peer_addresses(m, peers);
  if (n <= 0) {
    send_error(t, m, 400, a.integrity_key());  // §9.2: at least one XOR-PEER-ADDRESS
    return;
  }
  std::size_t added = 0;
  std::array<bool, 16> via_relay{};
  for (int i = 0; i < n; ++i) {
    const Address& p = peers[static_cast<std::size_t>(i)];
    if (p.family() != a.relay.address.family()) {
      send_error(t, m, 443, a.integrity_key());
      return;
    }
    const PeerVerdict verdict = policy_.check(p);
    if (verdict == PeerVerdict::kRefused) {
      send_error(t, m, 403,
                 a.integrity_key());  // checked before anything is installed: all or nothing
      return;
    }
    via_relay[static_cast<std::size_t>(i)] = verdict == PeerVerdict::kPermittedRelay;
    if (a.permission_for(p) == nullptr) ++added;
  }
  if (a.permissions.size() + added > settings_.max_permissions) {
    send_error(t, m, 508, a.integrity_key());
    return;
  }
  for (int i = 0; i < n; ++i) {
    const Address& p = peers[static_cast<std::size_t>(i)];
    const bool relay_only = via_relay[static_cast<std::size_t>(i)];
    if (Permission* existing = a.permission_for(p)) {
      existing->expires = now + settings_.permission_lifetime;  // §9.2: refresh
      existing->via_relay = relay_only;
    } else {
      a.add_permission(p, now + settings_.permission_lifetime, relay_only);
      ++counters_.permissions_created;
      schedule(a, now + settings_.permission_lifetime);
    }
  }
  MessageBuilder b(out_, m.method(), Class::kSuccess, m.transaction_id());
  finish_and_send(t, m, b, a.integrity_key(), &a);
}

void Server::handle_channel_bind(const FiveTuple& t, const MessageView& m, Allocation& a,
                                 TimePoint now) {
  auto number = m.get<attr::ChannelNumber>();
  auto peer = m.get<attr::XorPeerAddress>();
  if (!number || !peer || number->number < stun::kMinChannelNumber ||
      number->number > settings_.max_channel_number) {
    send_error(t, m, 400, a.integrity_key());  // §12.2: 0x4000..0x4FFF and a peer are required
    return;
  }
  if (peer->address.family() != a.relay.address.family()) {
    send_error(t, m, 443, a.integrity_key());
    return;
  }
  const PeerVerdict verdict = policy_.check(peer->address);
  if (verdict == PeerVerdict::kRefused) {
    send_error(t, m, 403, a.integrity_key());
    return;
  }
  const bool relay_only = verdict == PeerVerdict::kPermittedRelay;
  // §12.2: a number bound to another peer, or a peer bound to another number, is refused, also
  // while an expired binding rests (its 5 minutes after expiry).
  Channel* by_number = a.channel_by_number(number->number);
  Channel* by_peer = a.channel_by_peer(peer->address);
  if ((by_number != nullptr && by_number != by_peer) ||
      (by_peer != nullptr && by_peer != by_number)) {
    send_error(t, m, 400, a.integrity_key());
    return;
  }
  if ((by_number == nullptr && a.channels.size() >= settings_.max_channels) ||
      (a.permission_for(peer->address) == nullptr &&
       a.permissions.size() >= settings_.max_permissions)) {
    // A channel whose permission cannot be installed could never carry data: refuse it.
    send_error(t, m, 508, a.integrity_key());
    return;
  }
  if (by_number != nullptr) {
    by_number->expires = now + settings_.channel_lifetime;  // the same pair again: refresh
    by_number->via_relay = relay_only;
  } else {
    a.add_channel({number->number, relay_only, peer->address, now + settings_.channel_lifetime});
    ++counters_.channels_created;
    schedule(a, now + settings_.channel_lifetime + settings_.channel_rest);
  }
  // §12.2: binding a channel also installs or refreshes the permission for the peer's IP.
  if (Permission* p = a.permission_for(peer->address)) {
    p->expires = now + settings_.permission_lifetime;
    p->via_relay = relay_only;
  } else {
    a.add_permission(peer->address, now + settings_.permission_lifetime, relay_only);
    ++counters_.permissions_created;
    schedule(a, now + settings_.permission_lifetime);
  }
  MessageBuilder b(out_, m.method(), Class::kSuccess, m.transaction_id());
  finish_and_send(t, m, b, a.integrity_key(), &a);
}

}  // namespace ferry::turn
