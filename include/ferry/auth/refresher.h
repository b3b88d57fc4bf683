// Work that keeps shared read-mostly state current from outside the process (a user database),
// run by the Runtime on its own thread, never on a worker: the workers only read what it
// publishes (DESIGN.md section 2, "read-mostly shared state ... swapped whole").
#pragma once

#include <cstdint>

#include "ferry/common/logger.h"
#include "ferry/common/time.h"

namespace ferry::auth {

class BackgroundRefresh {
 public:
  virtual ~BackgroundRefresh() = default;
  // One round: look for changes, reload what changed, publish it. May block on I/O (it runs on
  // the Runtime's refresher thread, or once at start before any worker). `unix_now` is the wall
  // clock's seconds (the same clock the workers pass to CredentialStore::find).
  virtual void refresh(std::int64_t unix_now, Logger& log) = 0;
  // How long to wait between rounds.
  virtual Duration period() const = 0;
};

}  // namespace ferry::auth
