// One allocation's state (RFC 8656 §2.2): its relay (two for a dual allocation, §7.2),
// lifetime, permissions and channels. Internal to ferry_turn. Kept compact: permissions and
// channels are small vectors searched linearly (clients use a handful), stored inline up to a few
// of each (SmallVector), bounded by Settings::max_permissions / max_channels.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ferry/auth/long_term_key.h"
#include "ferry/common/address.h"
#include "ferry/common/time.h"
#include "ferry/stun/message.h"
#include "ferry/turn/egress.h"
#include "ferry/turn/rate_gate.h"
#include "position_table.h"
#include "small_vector.h"
#include "tcp_allocation.h"

namespace ferry::turn {

struct Permission {
  Address ip;  // port 0: permissions are per IP address (RFC 8656 §9)
  // Installed only because the peer was an open relay of this server (PeerVerdict::
  // kPermittedRelay): data from that IP is accepted only from ports still open as relays.
  bool via_relay = false;
  TimePoint expires;
};

struct Channel {
  std::uint16_t number = 0;
  bool via_relay = false;  // as Permission::via_relay: good while the peer relay stays open
  Address peer;
  TimePoint expires;  // after this the channel is unusable, and rests until expires + rest
};

inline constexpr RelayId kNoRelay = 0xFFFFFFFF;

// A dual allocation's second relay (RFC 8656 §7.2, ADDITIONAL-ADDRESS-FAMILY: an IPv6 relayed
// address beside the IPv4 one) and the lifetime each family has of its own (§8.1: a Refresh may
// name one family). Kept by Allocations beside the table, not in Allocation: nearly every
// allocation has one family and pays nothing for this.
struct SecondRelay {
  Relay relay;
  Address reported;         // its XOR-RELAYED-ADDRESS (external-ip applied)
  TimePoint expires;        // this family's time-to-expiry
  TimePoint first_expires;  // the first relay's; Allocation::expires is the later of the two
};

struct Allocation {
  // Hot: what every relayed packet reads, first and together.
  FiveTuple tuple;
  Relay relay;
  // A dual allocation's second relay (the other family), kNoRelay otherwise: the data path's
  // copy of SecondRelay::relay.id, in what was padding (no byte added).
  RelayId second_relay = kNoRelay;
  TimePoint expires;  // when the allocation ends (a dual one: when its last family does)
  SmallVector<Channel, 2> channels;
  SmallVector<Permission, 4> permissions;
  // Bookkeeping: its place in the AllocationTable and its timer (TimerWheel).
  std::uint32_t index = 0;
  std::uint64_t timer_stamp = 0;  // matches the one live timer entry
  TimePoint next_check;           // when that entry fires: never after any deadline above
  // max-bps (coturn: input and output limited separately): client->peer, peer->client.
  RateGate to_peer_rate;
  RateGate to_client_rate;
  // Cold: requests only.
  Address reported;  // XOR-RELAYED-ADDRESS as the client sees it (external-ip applied)
  std::string username;
  auth::MessageKey key{};
  bool authenticated = false;  // false under no-auth: responses then carry no integrity
  // The relay family it was counted under (Counters::allocations_created), kept: a dual
  // allocation that loses its first family relays on the other until it ends.
  bool counted_v6 = false;
  // The realm it was allocated in (Quotas::realm_index(); 0: the configured realm): later
  // requests are authenticated in it, and its quota is given back to it. In what was padding.
  std::uint16_t realm = 0;
  // check-origin-consistency: a 16-bit hash of the Allocate's ORIGIN (0: it had none), in the
  // rest of that padding (sizeof(Allocation) unchanged). The ORIGIN is what the authenticated
  // owner says of itself, a consistency check and no secret: 16 bits tell a mix-up.
  std::uint16_t origin_tag = 0;
  // RFC 8016: the serial in the one ticket that can move this allocation (0: none issued).
  // Issuing a ticket changes it, so a used or superseded ticket names nothing.
  std::uint64_t ticket_serial = 0;
  // The last response, for retransmitted requests (RFC 8656 §7.2, RFC 8489 §6.3.1).
  stun::TransactionId last_tid{};
  std::vector<std::uint8_t> last_response;
  // RFC 6062: set for a TCP allocation (its peer data connections); null for UDP.
  std::unique_ptr<TcpAllocation> tcp;

  const auth::MessageKey* integrity_key() const { return authenticated ? &key : nullptr; }
  bool dual() const { return second_relay != kNoRelay; }
  // Whether a relay of family `f` is here: peers of another family get 443 (RFC 8656 §9.1,
  // §12.1). A dual allocation has both families.
  bool serves(Family f) const {
    return relay.address.family() == f || (dual() && f != Family::kNone);
  }
  // The relay that sends to `peer`: the one of its family. A single-family allocation decides
  // on one compare of data already loaded; permissions and channels exist only for families
  // the allocation serves, so the data path never asks for one it lacks.
  RelayId relay_for(const Address& peer) const {
    return peer.family() == relay.address.family() ? relay.id : second_relay;
  }
  // RFC 8489 §6.3.1: `tid` was answered last; its answer is last_answer().
  bool answered(const stun::TransactionId& tid) const {
    return !last_response.empty() && last_tid == tid;
  }
  Bytes last_answer() const { return {last_response.data(), last_response.size()}; }

  // Lookups: a scan while the lists are short, the hash indexes beyond (allocation.cc).
  Permission* permission_for(const Address& peer);
  bool permitted(const Address& peer, TimePoint now) {
    Permission* p = permission_for(peer);
    return p != nullptr && now < p->expires;
  }
  Channel* channel_by_number(std::uint16_t n);
  Channel* channel_by_peer(const Address& peer);

  // Changes go through these, which keep the indexes in step with the lists.
  void add_permission(const Address& peer, TimePoint until, bool via_relay = false);
  void add_channel(const Channel& c);
  // Drops permissions expired by `now` and channels whose rest after expiry is over.
  void prune(TimePoint now, Duration channel_rest);

 private:
  void reindex();
  // Built only for lists longer than kShortList (null otherwise: no memory for the common case).
  static constexpr std::size_t kShortList = 8;
  struct Indexes {
    PositionTable permission_by_ip;
    PositionTable channel_by_number;
    PositionTable channel_by_peer;
  };
  std::unique_ptr<Indexes> indexes_;
};

}  // namespace ferry::turn
