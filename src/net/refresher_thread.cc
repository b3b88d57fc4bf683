#include "refresher_thread.h"

namespace ferry::net {

void RefresherThread::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void RefresherThread::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RefresherThread::loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (wake_.wait_for(lock, work_->period(), [this] { return stopping_; })) break;
    lock.unlock();
    work_->refresh(clock_.unix_seconds(), log_);
    lock.lock();
  }
}

}  // namespace ferry::net
