// Prometheus text exposition (format 0.0.4) of the workers' counters. Pure: counters in, text
// out, so the names and the arithmetic are unit-tested without a socket.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ferry/net/stats.h"

namespace ferry::http {

struct MetricsInput {
  std::vector<net::WorkerStats> workers;
  std::string_view version;
  double uptime_seconds = 0;
};

std::string render_metrics(const MetricsInput& in);

}  // namespace ferry::http
