// One event-loop thread: a libevent event_base dispatched on a thread of its own and stopped
// from any other (an eventfd wakes it). The workers and the HTTP listener each run one; this is
// the only place a loop thread is started, woken or joined.
#pragma once

#include <event2/event.h>

#include <chrono>
#include <memory>
#include <string_view>
#include <thread>

#include "ferry/common/expected.h"

namespace ferry::event {

// A duration as libevent's timeval.
inline timeval to_timeval(std::chrono::nanoseconds d) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return timeval{static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
}

// Frees a libevent event (unique_ptr deleter).
struct EventFree {
  void operator()(::event* ev) const { event_free(ev); }
};
using EventPtr = std::unique_ptr<::event, EventFree>;

// event_new + event_add, checked: a failure names `what` ("the relay sockets' epoll set").
// `timeout` null: no timeout.
Expected<EventPtr> add_event(event_base* base, evutil_socket_t fd, short what_flags,
                             event_callback_fn cb, void* arg, const timeval* timeout,
                             std::string_view what);

class EventLoop {
 public:
  // The event_base and its stop event; a failure says which part could not be made.
  static Expected<std::unique_ptr<EventLoop>> create();
  ~EventLoop();  // stops and joins first
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  event_base* base() const { return base_; }
  // Dispatches on a new thread until stop().
  void start();
  // Thread-safe: wakes the loop, which returns; does not wait.
  void request_stop();
  // Waits for the thread (after request_stop()); safe when never started.
  void join();
  void stop() {
    request_stop();
    join();
  }

 private:
  EventLoop() = default;
  static void on_stop(evutil_socket_t fd, short what, void* arg);

  event_base* base_ = nullptr;
  int stop_fd_ = -1;
  EventPtr stop_ev_;
  std::thread thread_;
};

}  // namespace ferry::event
