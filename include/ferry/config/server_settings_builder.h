// Turns the effective option values into the small settings structs of each module.
// This is the only place that maps option names to module settings (DESIGN.md section 3).
#pragma once

#include <vector>

#include "ferry/common/logger.h"
#include "ferry/config/config.h"
#include "ferry/http/settings.h"
#include "ferry/net/settings.h"

namespace ferry::config {

struct ProcessSettings {
  net::ServerSettings server;
  http::HttpSettings http;
  LogOutputs log;
  LogLevel log_level = LogLevel::kInfo;
};

// Values the table's types cannot check (addresses, cross-option rules) become diagnostics.
ProcessSettings build_process_settings(const Config& cfg, std::vector<Diagnostic>& diagnostics);

}  // namespace ferry::config
