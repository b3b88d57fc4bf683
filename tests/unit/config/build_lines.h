// Builds settings from configuration lines ("r:1", "r:2", ... as their origins) on a fixed host
// with no DNS, and keeps the diagnostics as text: the shape the option-group tests share.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "ferry/config/config.h"
#include "ferry/config/settings.h"

namespace ferry::config::testing {

struct Built {
  Settings settings;
  std::vector<Diagnostic> diagnostics;
  std::string text;  // every diagnostic, one per line
  bool error = false;
};

inline Built build_lines(const std::vector<std::pair<std::string, std::string>>& lines) {
  const HostFacts host{
      .local_addresses = [] { return std::vector<Address>{*Address::parse_ip("192.0.2.10")}; },
      .cpus = 1};
  const Resolver no_dns = [](const std::string&) -> Expected<std::vector<Address>> {
    return fail("no DNS in unit tests");
  };
  Config cfg;
  int n = 0;
  for (const auto& [name, value] : lines) cfg.append(name, value, "r:" + std::to_string(++n));
  Built b;
  b.settings = build_settings(cfg, b.diagnostics, no_dns, host);
  for (const auto& d : b.diagnostics) {
    b.text += d.to_string() + "\n";
    b.error = b.error || d.severity == Diagnostic::Severity::kError;
  }
  return b;
}

}  // namespace ferry::config::testing
