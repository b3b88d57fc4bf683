// RFC 8016 mobility: tickets, and an allocation following its client to a new 5-tuple, within
// this worker or from another (include/ferry/turn/mobility.h says how the workers take part).
//
// Who may move what. Tickets are issued only to an Allocate or Refresh that asked with
// MOBILITY-TICKET and passed MESSAGE-INTEGRITY (under no-auth a ticket would be a bearer token
// for anyone who saw it, so mobility then refuses). A move needs all of: the request
// authenticated as the allocation's user (441 otherwise), a ticket this server made (HMAC),
// unexpired, naming a live allocation whose serial it carries (issuing a ticket changes the
// serial: a used or superseded ticket names nothing), a client transport of the same kind,
// UDP or DTLS (datagrams: a stream's allocation ends with its connection, RFC 8656 §3.1, so
// there is nothing to move to; RFC 6062 TCP relays are refused too), room for one more
// allocation on the new address (max-allocations-per-ip), and no allocation on the new 5-tuple.
// Everything but the last three is checked by the worker that received the Refresh before
// anything crosses to another worker; nothing is held for a ticket.
#include "allocation.h"
#include "allocations.h"
#include "ferry/stun/attributes.h"
#include "ferry/stun/message.h"
#include "ferry/turn/dispatcher.h"
#include "moved_allocation.h"
#include "reply.h"

namespace ferry::turn {

using stun::ErrorCode;
namespace attr = stun::attr;

namespace {

bool movable_transport(Transport t) {
  switch (t) {
    case Transport::kUdp:
    case Transport::kDtls:
      return true;
    case Transport::kTcp:
    case Transport::kTls:
      return false;
  }
  return false;
}

ErrorCode code_of(MoveRefusal why) {
  switch (why) {
    case MoveRefusal::kForbidden:
      return ErrorCode::kMobilityForbidden;  // RFC 8016 §3.4
    case MoveRefusal::kBadTicket:
      return ErrorCode::kBadRequest;  // RFC 8016 §3.2: an invalid ticket
    case MoveRefusal::kWrongUser:
      return ErrorCode::kWrongCredentials;  // RFC 8656 §5: another user's allocation
    case MoveRefusal::kStale:
    case MoveRefusal::kOccupied:
      return ErrorCode::kAllocationMismatch;
    case MoveRefusal::kQuota:
      return ErrorCode::kAllocationQuotaReached;
    case MoveRefusal::kBusy:
      return ErrorCode::kInsufficientCapacity;
  }
  return ErrorCode::kBadRequest;
}

}  // namespace

// Allocate with MOBILITY-TICKET (RFC 8016 §3.1): 405 when mobility is off or the allocation
// could never move.
std::optional<Reply> Dispatcher::check_mobility(const Request& r, const auth::MessageKey* key,
                                                bool tcp) {
  if (!r.message.has<attr::MobilityTicket>()) return std::nullopt;
  if (mobility_on() && key != nullptr && !tcp && movable_transport(r.tuple.transport)) {
    return std::nullopt;
  }
  counters_.refuse_move(MoveRefusal::kForbidden);
  return Reply::error(ErrorCode::kMobilityForbidden, key);
}

// Refresh with MOBILITY-TICKET on the allocation's own 5-tuple: an empty ticket, or one that
// names this allocation, asks for a fresh ticket; one naming another allocation would move it
// onto a 5-tuple that has one (437).
std::optional<Reply> Dispatcher::check_own_ticket(const Request& r, const Allocation& a) {
  const auth::MessageKey* key = a.integrity_key();
  if (key == nullptr || a.tcp || !movable_transport(a.tuple.transport)) {
    counters_.refuse_move(MoveRefusal::kForbidden);
    return Reply::error(ErrorCode::kMobilityForbidden, key);
  }
  auto ticket = r.message.get<attr::MobilityTicket>();
  if (!ticket || ticket->value.empty()) return std::nullopt;
  auto f = deps_.tickets->open(ticket->value);
  if (!f) {
    counters_.refuse_move(MoveRefusal::kBadTicket);
    return Reply::error(ErrorCode::kBadRequest, key);
  }
  if (f->worker == worker_index() && f->index == a.index) return std::nullopt;
  counters_.refuse_move(MoveRefusal::kOccupied);
  return Reply::error(ErrorCode::kAllocationMismatch, key);
}

void Dispatcher::add_ticket(Reply& reply, Allocation& a) {
  a.ticket_serial = ++ticket_serial_;  // whatever was issued before names nothing now
  const auth::TicketCodec::Fields f{.worker = static_cast<std::uint16_t>(worker_index()),
                                    .index = a.index,
                                    .serial = a.ticket_serial,
                                    .expires = a.expires,
                                    .user_tag = deps_.tickets->user_tag(a.username)};
  auto ticket = deps_.tickets->make(f);
  if (!ticket) return;
  ticket_buf_ = *ticket;
  ++counters_.mobility_tickets;
  reply.with(attr::MobilityTicket{Bytes(ticket_buf_.data(), ticket_buf_.size())});
}

std::optional<MoveRefusal> Dispatcher::claim_move(const Allocation* a, std::uint64_t serial,
                                                  std::string_view user, std::string_view realm,
                                                  const FiveTuple& to, TimePoint now) {
  // RFC 8016 §3.2: the ticket must name this allocation as it is now; tickets never extend it.
  if (a == nullptr || serial == 0 || a->ticket_serial != serial || a->expires <= now) {
    return MoveRefusal::kStale;
  }
  // The user tag matched (move_allocation); a tag collision of another user ends here.
  if (a->username != user) return MoveRefusal::kWrongUser;
  // The same name in another realm is another user (its ORIGIN mapped elsewhere).
  if (realm_of_allocation(*a).name != realm) return MoveRefusal::kWrongUser;
  if (a->tcp || a->tuple.transport != to.transport) return MoveRefusal::kForbidden;
  if (!deps_.quotas.move(a->tuple.client, to.client)) return MoveRefusal::kQuota;
  return std::nullopt;
}

// A Refresh with MOBILITY-TICKET from a 5-tuple without an allocation (on_allocation).
Reply Dispatcher::move_allocation(const Request& r, const Auth& auth) {
  const auth::MessageKey* key = auth.authenticated ? &auth.key : nullptr;
  auto refuse = [&](MoveRefusal why) {
    counters_.refuse_move(why);
    return Reply::error(code_of(why), key);
  };
  if (!auth.authenticated || !movable_transport(r.tuple.transport)) {
    return refuse(MoveRefusal::kForbidden);
  }
  auto ticket = r.message.get<attr::MobilityTicket>();
  auto f = ticket ? deps_.tickets->open(ticket->value) : std::nullopt;
  if (!f || f->expires <= r.now) return refuse(MoveRefusal::kBadTicket);
  if (f->user_tag != deps_.tickets->user_tag(auth.username)) {
    ++counters_.auth_wrong_user;
    return refuse(MoveRefusal::kWrongUser);
  }
  if (f->worker == worker_index()) {
    Allocation* a = allocations_->at(f->index);
    if (auto why = claim_move(a, f->serial, auth.username, auth.realm, r.tuple, r.now))
      return refuse(*why);
    allocations_->retuple(*a, r.tuple);
    a->ticket_serial = 0;  // the ticket is used, even if the Refresh below fails (no new one)
    ++counters_.mobility_moves;
    return refresh_allocation(r, *a);
  }
  if (deps_.mobility == nullptr || f->worker >= deps_.mobility->workers()) {
    return refuse(MoveRefusal::kBadTicket);
  }
  MoveAsk ask{
      .from = worker_index(),
      .index = f->index,
      .serial = f->serial,
      .username = std::string(auth.username),
      .realm = std::string(auth.realm),
      .tuple = r.tuple,
      .request = std::vector<std::uint8_t>(r.message.data().begin(), r.message.data().end())};
  if (!deps_.mobility->ask(f->worker, std::move(ask))) return refuse(MoveRefusal::kBusy);
  return Reply::deferred();  // answered in on_move_answer
}

// The owner's side of a move another worker asked for.
void Dispatcher::on_move_ask(MoveAsk& ask, TimePoint now) {
  // The answer's place first: an allocation is detached only when it can be handed over. A
  // full queue leaves the Refresh unanswered (its retransmission asks again) and changes
  // nothing.
  if (!deps_.mobility->reserve_answer(ask.from)) {
    counters_.refuse_move(MoveRefusal::kBusy);
    return;
  }
  MoveAnswer answer{.tuple = ask.tuple, .request = std::move(ask.request)};
  Allocation* a = allocations_->at(ask.index);
  if (auto why = claim_move(a, ask.serial, ask.username, ask.realm, ask.tuple, now)) {
    counters_.refuse_move(*why);
    answer.refusal = code_of(*why);
    deps_.mobility->answer(ask.from, std::move(answer));
    return;
  }
  // Its relays leave this worker's sockets, still open and still marked as open relays.
  std::array<MovedRelay, 2> relays{};
  std::size_t count = 0;
  bool detached = true;
  for (RelayId id : {a->relay.id, a->second_relay}) {
    if (id == kNoRelay) continue;
    auto moved = deps_.mobility->detach_relay(id);
    if (!moved) {
      detached = false;
      continue;
    }
    relays[count++] = *moved;
  }
  if (!detached) {
    // Cannot happen for a live allocation's relays; if it did, the allocation ends here
    // rather than half move (its quota unit back on its own address first).
    (void)deps_.quotas.move(ask.tuple.client, a->tuple.client);
    for (std::size_t i = 0; i < count; ++i) deps_.mobility->close_moved(relays[i]);
    allocations_->remove(*a);
    counters_.refuse_move(MoveRefusal::kBusy);
    answer.refusal = ErrorCode::kInsufficientCapacity;
    deps_.mobility->answer(ask.from, std::move(answer));
    return;
  }
  answer.allocation = allocations_->detach(*a);
  answer.allocation->relays = relays;
  answer.allocation->relay_count = count;
  answer.relays = relays;
  answer.relay_count = count;
  deps_.mobility->answer(ask.from, std::move(answer));
}

void Dispatcher::abandon_move(MoveAnswer& answer, MoveRefusal why) {
  MovedAllocation& m = *answer.allocation;
  for (std::size_t i = 0; i < m.relay_count; ++i) deps_.mobility->close_moved(m.relays[i]);
  answer.relay_count = 0;
  allocations_->abandon(m, answer.tuple);
  counters_.refuse_move(why);
}

// The receiving side: adopt the allocation and answer the Refresh, or answer the refusal.
void Dispatcher::on_move_answer(MoveAnswer& answer, TimePoint now) {
  auto parsed = stun::MessageView::parse(Bytes(answer.request.data(), answer.request.size()));
  if (!parsed) {  // our own copy of a request that parsed once: cannot happen
    if (answer.allocation) abandon_move(answer, MoveRefusal::kBusy);
    return;
  }
  const Request r{answer.tuple, *parsed, stun::Method::kRefresh, now};
  Allocation* here = allocations_->find(answer.tuple);
  if (!answer.allocation) {
    // A retransmission asked again after the first ask moved the allocation: the same answer.
    if (here != nullptr && here->answered(parsed->transaction_id())) {
      respond(r, Reply::retransmission(here->last_answer()));
      return;
    }
    Auth auth;
    if (auto refusal = authenticate(r, auth, realm_of_request(r).name)) {
      respond(r, *refusal);
      return;
    }
    respond(r, Reply::error(answer.refusal, auth.authenticated ? &auth.key : nullptr));
    return;
  }
  MovedAllocation& m = *answer.allocation;
  const auth::MessageKey key = m.allocation.key;
  auto fail = [&](MoveRefusal why) {
    abandon_move(answer, why);
    respond(r, Reply::error(code_of(why), &key));
  };
  if (here != nullptr) return fail(MoveRefusal::kOccupied);  // allocated meanwhile
  auto first = deps_.mobility->attach_relay(m.relays[0]);
  if (!first) return fail(MoveRefusal::kBusy);
  std::optional<Relay> second;
  if (m.relay_count > 1) {
    auto attached = deps_.mobility->attach_relay(m.relays[1]);
    if (!attached) {
      deps_.relays.close(first->id);
      if (deps_.open_relays != nullptr) deps_.open_relays->remove(first->address);
      m.relays[0] = m.relays[1];
      m.relay_count = 1;
      return fail(MoveRefusal::kBusy);
    }
    second = *attached;
  }
  answer.relay_count = 0;  // the relays are this worker's now
  Allocation& a = allocations_->adopt(m, answer.tuple, *first, second, now);
  ++counters_.mobility_moves;
  ++counters_.mobility_moves_across;
  respond(r, refresh_allocation(r, a));
}

}  // namespace ferry::turn
