// The process's settings: one typed value built from the option table (DESIGN.md section 3).
// Each implemented row of the table is bound to the field it fills (option_builder.h), so
// building is a loop over the table, then the cross-option checks and the derived values
// (settings_build.cc). The result is immutable once built: a reload will build a new one and
// swap it, never edit one in place.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ferry/auth/settings.h"
#include "ferry/common/address.h"
#include "ferry/common/expected.h"
#include "ferry/common/logger.h"
#include "ferry/config/config.h"
#include "ferry/http/settings.h"
#include "ferry/net/settings.h"

namespace ferry::config {

struct Settings {
  net::ServerSettings server;
  http::HttpSettings http;
  LogOutputs log;
  LogLevel log_level = LogLevel::kInfo;
  // `user` entries as written (NAME:PASSWORD, already checked); the credential store is made
  // from them and the realm once both are known.
  std::vector<std::string> users;
  auth::AuthSettings auth;
  bool operator==(const Settings&) const = default;
};

// Resolves a host name to its addresses (port 0), or says why not. The default asks the system
// (getaddrinfo); tests pass their own, so that no test depends on a DNS server.
using Resolver = std::function<Expected<std::vector<Address>>(const std::string& host)>;
Expected<std::vector<Address>> system_resolve(const std::string& host);

// Addresses and CPUs of this host, for the derived values (listen on every address when none
// is configured, one worker per CPU). Tests pass fixed ones.
struct HostFacts {
  std::function<std::vector<Address>()> local_addresses;
  unsigned cpus = 1;
  static HostFacts of_this_host();
};

struct BuildContext {
  const Config& config;
  Settings& settings;
  std::vector<Diagnostic>& diagnostics;
  const Resolver& resolve;

  void error(std::string where, std::string message);
  void warning(std::string where, std::string message);
};

// The first step of build_settings alone: each bound row's value (or default) in its field,
// nothing checked across options, nothing derived. With no option set this equals the
// structs' own defaults (a test holds the two to each other).
Settings settings_from_rows(const Config& config, std::vector<Diagnostic>& diagnostics,
                            const Resolver& resolve = system_resolve);

// The settings the options give. Problems the table's types cannot catch (addresses, names
// that do not resolve, cross-option rules) become diagnostics naming file and line.
Settings build_settings(const Config& config, std::vector<Diagnostic>& diagnostics,
                        const Resolver& resolve = system_resolve,
                        const HostFacts& host = HostFacts::of_this_host());

}  // namespace ferry::config
