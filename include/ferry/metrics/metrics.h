// Prometheus text exposition (format 0.0.4) of the workers' counters. Pure: counters in, text
// out, so the names and the arithmetic are unit-tested without a socket.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ferry/http/credentials.h"
#include "ferry/net/stats.h"

namespace ferry::metrics {

struct MetricsInput {
  std::vector<net::WorkerStats> workers;
  std::string_view version;
  double uptime_seconds = 0;
  // prometheus-username-labels: allocations now per user name. Empty otherwise: a label per
  // user makes the series (and the scraper's memory) grow with the user base.
  std::vector<std::pair<std::string, std::size_t>> user_allocations;
  // The HTTP listener's credential endpoint (credentials.h).
  http::CredentialCounts credentials;
};

std::string render_metrics(const MetricsInput& in);

}  // namespace ferry::metrics
