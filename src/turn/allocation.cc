#include "allocation.h"

namespace ferry::turn {

namespace {

std::uint64_t ip_hash(const Address& a) {
  Address ip = a;
  ip.set_port(0);  // permissions are per IP address (RFC 8656 §9)
  return ip.hash();
}

std::uint64_t number_hash(std::uint16_t n) {
  return n * 0x9E3779B97F4A7C15ULL >> 32;
}

}  // namespace

Permission* Allocation::permission_for(const Address& peer) {
  if (indexes_ && indexes_->permission_by_ip.built()) {
    std::size_t i = indexes_->permission_by_ip.find(
        ip_hash(peer), [&](std::size_t k) { return permissions[k].ip.same_ip(peer); });
    return i == PositionTable::kNotFound ? nullptr : &permissions[i];
  }
  for (auto& p : permissions) {
    if (p.ip.same_ip(peer)) return &p;
  }
  return nullptr;
}

Channel* Allocation::channel_by_number(std::uint16_t n) {
  if (indexes_ && indexes_->channel_by_number.built()) {
    std::size_t i = indexes_->channel_by_number.find(
        number_hash(n), [&](std::size_t k) { return channels[k].number == n; });
    return i == PositionTable::kNotFound ? nullptr : &channels[i];
  }
  for (auto& c : channels) {
    if (c.number == n) return &c;
  }
  return nullptr;
}

Channel* Allocation::channel_by_peer(const Address& peer) {
  if (indexes_ && indexes_->channel_by_peer.built()) {
    std::size_t i = indexes_->channel_by_peer.find(
        peer.hash(), [&](std::size_t k) { return channels[k].peer == peer; });
    return i == PositionTable::kNotFound ? nullptr : &channels[i];
  }
  for (auto& c : channels) {
    if (c.peer == peer) return &c;
  }
  return nullptr;
}

void Allocation::add_permission(const Address& peer, TimePoint until, bool via_relay) {
  Address ip = peer;
  ip.set_port(0);
  permissions.push_back({ip, via_relay, until});
  reindex();
}

void Allocation::add_channel(const Channel& c) {
  channels.push_back(c);
  reindex();
}

void Allocation::prune(TimePoint now, Duration channel_rest) {
  std::size_t gone = permissions.erase_if([now](const Permission& p) { return p.expires <= now; });
  gone += channels.erase_if([&](const Channel& c) { return c.expires + channel_rest <= now; });
  if (gone > 0) reindex();
}

void Allocation::reindex() {
  // Rebuilt whole on every change: changes are requests and expiries (rare), lookups are
  // packets. O(n) per ChannelBind even at the 4,096-channel cap is microseconds.
  const bool many_permissions = permissions.size() > kShortList;
  const bool many_channels = channels.size() > kShortList;
  if (!many_permissions && !many_channels) {
    indexes_.reset();
    return;
  }
  if (!indexes_) indexes_ = std::make_unique<Indexes>();
  if (many_permissions) {
    indexes_->permission_by_ip.rebuild(permissions.size(),
                                       [&](std::size_t i) { return ip_hash(permissions[i].ip); });
  } else {
    indexes_->permission_by_ip.clear();
  }
  if (many_channels) {
    indexes_->channel_by_number.rebuild(
        channels.size(), [&](std::size_t i) { return number_hash(channels[i].number); });
    indexes_->channel_by_peer.rebuild(channels.size(),
                                      [&](std::size_t i) { return channels[i].peer.hash(); });
  } else {
    indexes_->channel_by_number.clear();
    indexes_->channel_by_peer.clear();
  }
}

}  // namespace ferry::turn
