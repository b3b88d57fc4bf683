// Refresh (RFC 8656 §7.3-7.5), CreatePermission (§9) and ChannelBind (§12) on an existing,
// authenticated allocation.
#include <array>

#include "allocation.h"
#include "allocations.h"
#include "ferry/stun/attributes.h"
#include "ferry/stun/channel_data.h"
#include "ferry/turn/dispatcher.h"
#include "reply.h"

namespace ferry::turn {

using stun::ErrorCode;
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

// Every answer here carries MESSAGE-INTEGRITY under the allocation's key (RFC 8489 §9.2.4),
// none under no-auth: a.integrity_key().

Reply Dispatcher::handle_refresh(const Request& r, Allocation& a) {
  // RFC 8016 §3.2: MOBILITY-TICKET from the allocation's own 5-tuple asks for a fresh ticket.
  if (r.message.has<attr::MobilityTicket>()) {
    if (auto refusal = check_own_ticket(r, a)) return *refusal;
  }
  return refresh_allocation(r, a);
}

// The Refresh proper, also for one that just moved `a` here (RFC 8016 §3.2: the answer to it
// carries a new ticket).
Reply Dispatcher::refresh_allocation(const Request& r, Allocation& a) {
  const MessageView& m = r.message;
  // §8.1-8.2: REQUESTED-ADDRESS-FAMILY names the family to refresh (or delete) of a dual
  // allocation; a family the allocation does not have is 443. Without it, every family.
  Family family = Family::kNone;
  if (auto f = m.get<attr::RequestedAddressFamily>()) {
    if (!a.serves(f->family)) {
      return Reply::error(ErrorCode::kPeerAddressFamilyMismatch, a.integrity_key());
    }
    family = f->family;
  }
  auto requested = m.get<attr::Lifetime>();
  if (requested && requested->seconds == 0) {
    if (family != Family::kNone && a.dual()) {
      // Only that family ends; the allocation goes on with the other.
      allocations_->drop_family(a, family, r.now);
      return Reply::success(a.integrity_key()).remembered_in(a).with(attr::Lifetime{0});
    }
    // §8.2: LIFETIME 0 deletes the allocation at once (the reply keeps a copy of the key).
    Reply reply = Reply::success(a.integrity_key()).to_holder().with(attr::Lifetime{0});
    allocations_->remove(a);
    return reply;
  }
  Seconds lifetime = granted_lifetime(m);
  allocations_->refresh(a, family, r.now + lifetime);
  Reply reply = Reply::success(a.integrity_key()).remembered_in(a);
  reply.with(attr::Lifetime{static_cast<std::uint32_t>(lifetime.count())});
  if (m.has<attr::MobilityTicket>()) add_ticket(reply, a);
  return reply;
}

Reply Dispatcher::handle_create_permission(const Request& r, Allocation& a) {
  const auth::MessageKey* key = a.integrity_key();
  std::array<Address, 16> peers;
  int n = peer_addresses(r.message, peers);
  if (n <= 0) return Reply::error(ErrorCode::kBadRequest, key);  // §9.2: one XOR-PEER-ADDRESS
  std::size_t added = 0;
  std::array<bool, 16> via_relay{};
  for (int i = 0; i < n; ++i) {
    const Address& p = peers[static_cast<std::size_t>(i)];
    if (!a.serves(p.family())) {
      return Reply::error(ErrorCode::kPeerAddressFamilyMismatch, key);  // §10.2: no relay of it
    }
    const PeerVerdict verdict = policy_.check(p);
    // Checked before anything is installed: all or nothing.
    if (verdict == PeerVerdict::kRefused) return Reply::error(ErrorCode::kForbidden, key);
    via_relay[static_cast<std::size_t>(i)] = verdict == PeerVerdict::kPermittedRelay;
    if (a.permission_for(p) == nullptr) ++added;
  }
  if (a.permissions.size() + added > settings_.max_permissions) {
    return Reply::error(ErrorCode::kInsufficientCapacity, key);
  }
  const TimePoint until = r.now + settings_.permission_lifetime;
  for (int i = 0; i < n; ++i) {
    const Address& p = peers[static_cast<std::size_t>(i)];
    const bool relay_only = via_relay[static_cast<std::size_t>(i)];
    if (Permission* existing = a.permission_for(p)) {
      existing->expires = until;  // §9.2: refresh
      existing->via_relay = relay_only;
    } else {
      a.add_permission(p, until, relay_only);
      ++counters_.permissions_created;
      allocations_->schedule(a, until);
    }
  }
  return Reply::success(key).remembered_in(a);
}

Reply Dispatcher::handle_channel_bind(const Request& r, Allocation& a) {
  const auth::MessageKey* key = a.integrity_key();
  const TimePoint now = r.now;
  auto number = r.message.get<attr::ChannelNumber>();
  auto peer = r.message.get<attr::XorPeerAddress>();
  // RFC 6062: a TCP allocation has no channels (its data goes over peer connections).
  if (a.tcp) return Reply::error(ErrorCode::kBadRequest, key);
  if (!number || !peer || number->number < stun::kMinChannelNumber ||
      number->number > settings_.max_channel_number) {
    // §12.2: a number in 0x4000..0x4FFF and a peer are required.
    return Reply::error(ErrorCode::kBadRequest, key);
  }
  if (!a.serves(peer->address.family())) {
    return Reply::error(ErrorCode::kPeerAddressFamilyMismatch, key);  // §12.2: no relay of it
  }
  const PeerVerdict verdict = policy_.check(peer->address);
  if (verdict == PeerVerdict::kRefused) return Reply::error(ErrorCode::kForbidden, key);
  const bool relay_only = verdict == PeerVerdict::kPermittedRelay;
  // §12.2: a number bound to another peer, or a peer bound to another number, is refused, also
  // while an expired binding rests (its 5 minutes after expiry).
  Channel* by_number = a.channel_by_number(number->number);
  Channel* by_peer = a.channel_by_peer(peer->address);
  if ((by_number != nullptr && by_number != by_peer) ||
      (by_peer != nullptr && by_peer != by_number)) {
    return Reply::error(ErrorCode::kBadRequest, key);
  }
  if ((by_number == nullptr && a.channels.size() >= settings_.max_channels) ||
      (a.permission_for(peer->address) == nullptr &&
       a.permissions.size() >= settings_.max_permissions)) {
    // A channel whose permission cannot be installed could never carry data: refuse it.
    return Reply::error(ErrorCode::kInsufficientCapacity, key);
  }
  if (by_number != nullptr) {
    by_number->expires = now + settings_.channel_lifetime;  // the same pair again: refresh
    by_number->via_relay = relay_only;
  } else {
    a.add_channel({number->number, relay_only, peer->address, now + settings_.channel_lifetime});
    ++counters_.channels_created;
    allocations_->schedule(a, now + settings_.channel_lifetime + settings_.channel_rest);
  }
  // §12.2: binding a channel also installs or refreshes the permission for the peer's IP.
  if (Permission* p = a.permission_for(peer->address)) {
    p->expires = now + settings_.permission_lifetime;
    p->via_relay = relay_only;
  } else {
    a.add_permission(peer->address, now + settings_.permission_lifetime, relay_only);
    ++counters_.permissions_created;
    allocations_->schedule(a, now + settings_.permission_lifetime);
  }
  return Reply::success(key).remembered_in(a);
}

}  // namespace ferry::turn
