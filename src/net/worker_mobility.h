// RFC 8016 mobility between workers: the network side of turn::MobilityNet (its header says
// how a move goes). Asks and answers travel in one bounded mailbox per worker (handoff.h); a
// relay socket changes worker by leaving one pool's epoll set and joining another's, its
// descriptor open throughout.
#pragma once

#include <variant>

#include "ferry/turn/mobility.h"
#include "handoff.h"
#include "relay_pool.h"

namespace ferry::net {

struct MobilityMail {
  std::variant<turn::MoveAsk, turn::MoveAnswer> item;
};
// An answer never delivered (the server stopped): its relays' descriptors close.
void discard(MobilityMail& m);

using MobilityMailboxes = Mailboxes<MobilityMail>;
// Moves waiting for one worker at most. Each is a small request copy, or an allocation in
// transit (its relays' descriptors are counted in total-quota already).
inline constexpr std::size_t kMobilityQueueLimit = 1024;

class WorkerMobility final : public turn::MobilityNet {
 public:
  WorkerMobility(MobilityMailboxes& boxes, RelayPool& relays, unsigned index)
      : boxes_(boxes), relays_(relays), index_(index) {}

  unsigned worker() const override { return index_; }
  unsigned workers() const override { return boxes_.workers(); }
  bool ask(unsigned owner, turn::MoveAsk&& ask) override {
    MobilityMail m{std::move(ask)};
    return boxes_.push(owner, std::move(m));
  }
  bool reserve_answer(unsigned to) override { return boxes_.reserve(to); }
  void answer(unsigned to, turn::MoveAnswer&& answer) override {
    boxes_.push_reserved(to, MobilityMail{std::move(answer)});
  }
  Result<turn::MovedRelay> detach_relay(turn::RelayId relay) override {
    return relays_.detach(relay);
  }
  Result<turn::Relay> attach_relay(const turn::MovedRelay& relay) override {
    return relays_.attach(relay);
  }
  void close_moved(const turn::MovedRelay& relay) override { relays_.close_moved(relay); }

 private:
  MobilityMailboxes& boxes_;
  RelayPool& relays_;
  unsigned index_;
};

}  // namespace ferry::net
