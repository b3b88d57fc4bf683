#include "ferry/event/event_loop.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

namespace ferry::event {

Expected<EventPtr> add_event(event_base* base, evutil_socket_t fd, short what_flags,
                             event_callback_fn cb, void* arg, const timeval* timeout,
                             std::string_view what) {
  EventPtr ev(event_new(base, fd, what_flags, cb, arg));
  if (ev == nullptr || event_add(ev.get(), timeout) != 0) {
    return fail("cannot watch " + std::string(what) + " (libevent: event_add failed)");
  }
  return ev;
}

Expected<std::unique_ptr<EventLoop>> EventLoop::create() {
  std::unique_ptr<EventLoop> loop(new EventLoop());
  loop->base_ = event_base_new();
  if (loop->base_ == nullptr) return fail("cannot create an event loop (event_base_new)");
  loop->stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (loop->stop_fd_ < 0) return fail(std::string("eventfd: ") + std::strerror(errno));
  auto ev = add_event(loop->base_, loop->stop_fd_, EV_READ, &EventLoop::on_stop, loop.get(),
                      nullptr, "the event loop's stop signal");
  if (!ev) return std::move(ev).failure();
  loop->stop_ev_ = std::move(*ev);
  return loop;
}

EventLoop::~EventLoop() {
  stop();
  stop_ev_.reset();
  if (stop_fd_ >= 0) close(stop_fd_);
  if (base_ != nullptr) event_base_free(base_);
}

void EventLoop::start() {
  thread_ = std::thread([base = base_] { event_base_dispatch(base); });
}

void EventLoop::request_stop() {
  if (stop_fd_ < 0) return;
  // An eventfd write of 1 fails only when the counter would overflow, which an earlier,
  // unread write rules out: the loop is already being woken.
  std::uint64_t one = 1;
  (void)!write(stop_fd_, &one, sizeof one);
}

void EventLoop::join() {
  if (thread_.joinable()) thread_.join();
}

void EventLoop::on_stop(evutil_socket_t /*fd*/, short /*what*/, void* arg) {
  event_base_loopbreak(static_cast<EventLoop*>(arg)->base_);
}

}  // namespace ferry::event
