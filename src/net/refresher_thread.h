// The thread that keeps shared credentials current (a user database's snapshot): one round
// of auth::BackgroundRefresh::refresh per period, off every worker's packet loop. Owned by the
// Runtime; stop() (or the destructor) wakes it and joins it at once, even mid-wait.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "ferry/auth/refresher.h"
#include "ferry/common/logger.h"
#include "ferry/common/time.h"

namespace ferry::net {

class RefresherThread {
 public:
  RefresherThread(std::shared_ptr<auth::BackgroundRefresh> work, const WallClock& clock,
                  Logger& log)
      : work_(std::move(work)), clock_(clock), log_(log) {}
  ~RefresherThread() { stop(); }
  RefresherThread(const RefresherThread&) = delete;
  RefresherThread& operator=(const RefresherThread&) = delete;

  // One round now, on the caller's thread (the start: workers then begin with a snapshot).
  void run_once() { work_->refresh(clock_.unix_seconds(), log_); }
  void start();
  void stop();

 private:
  void loop();
  std::shared_ptr<auth::BackgroundRefresh> work_;
  const WallClock& clock_;
  Logger& log_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace ferry::net
