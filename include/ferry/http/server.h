// The internal HTTP listener (DESIGN.md section 1, ferry_http): libevent's evhttp on a thread
// of its own, so a slow scrape or page load never delays a relayed packet.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ferry/common/address.h"
#include "ferry/common/expected.h"
#include "ferry/common/logger.h"
#include "ferry/http/router.h"
#include "ferry/http/settings.h"

namespace ferry::http {

class HttpServer {
 public:
  HttpServer(const HttpSettings& settings, const Router& router, Logger& log);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds every address and starts the thread; the first failure, with its reason.
  Expected<void> start();
  void stop();
  // Where it listens (port resolved when 0 was asked for).
  const std::vector<Address>& endpoints() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::http
