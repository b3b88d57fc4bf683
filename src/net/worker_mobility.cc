// The worker's part of RFC 8016 mobility: delivering asks and answers to its core.
#include "worker_mobility.h"

#include <unistd.h>

#include "worker.h"

namespace ferry::net {

void discard(MobilityMail& m) {
  if (auto* answer = std::get_if<turn::MoveAnswer>(&m.item)) {
    for (std::size_t i = 0; i < answer->relay_count; ++i) {
      if (answer->relays[i].handle >= 0) ::close(answer->relays[i].handle);
    }
    answer->relay_count = 0;
  }
}

Expected<void> Worker::open_mobility() {
  if (shared_.moves == nullptr) return {};
  mobility_ = std::make_unique<WorkerMobility>(*shared_.moves, *relays_, index_);
  auto ev = event::add_event(base(), shared_.moves->wake_fd(index_), EV_READ | EV_PERSIST,
                             &Worker::on_mobility, this, nullptr, "the mobility queue");
  if (!ev) return std::move(ev).failure();
  mobility_ev_ = std::move(*ev);
  return {};
}

void Worker::on_mobility(evutil_socket_t /*fd*/, short /*what*/, void* arg) {
  auto* w = static_cast<Worker*>(arg);
  const TimePoint now = Clock::now();
  for (auto& mail : w->shared_.moves->take(w->index_)) {
    if (auto* ask = std::get_if<turn::MoveAsk>(&mail.item)) {
      w->core_->on_move_ask(*ask, now);
    } else if (auto* answer = std::get_if<turn::MoveAnswer>(&mail.item)) {
      w->core_->on_move_answer(*answer, now);
    }
  }
  w->flush();
}

}  // namespace ferry::net
