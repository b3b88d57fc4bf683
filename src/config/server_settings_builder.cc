#include "ferry/config/server_settings_builder.h"

#include <algorithm>

#ifndef FERRY_VERSION
#define FERRY_VERSION "0.0.0"
#endif

namespace ferry::config {

namespace {

void add_error(std::vector<Diagnostic>& d, std::string where, std::string message) {
  d.push_back(Diagnostic{Diagnostic::Severity::kError, std::move(where), std::move(message)});
}

void build_listen(const Config& cfg, net::ServerSettings& s, std::vector<Diagnostic>& d) {
  auto ips = cfg.list("listening-ip");
  for (std::size_t i = 0; i < ips.size(); ++i) {
    auto a = Address::parse_ip(ips[i]);
    if (!a) {
      add_error(d, cfg.where("listening-ip", i),
                "'listening-ip' expects an IPv4 or IPv6 address, got '" + ips[i] + "'");
      continue;
    }
    s.listen_ips.push_back(*a);
  }
  s.port = static_cast<std::uint16_t>(cfg.integer("listening-port"));
  s.udp = !cfg.flag("no-udp");
  s.tcp = !cfg.flag("no-tcp");
  if (!s.udp && !s.tcp) {
    add_error(d, cfg.where("no-tcp"), "both 'no-udp' and 'no-tcp' are set: nothing would listen");
  }
  // Unset: one worker per CPU. coturn reads relay-threads=0 as "one thread", and so do we.
  if (cfg.is_set("relay-threads")) {
    s.threads = std::max<unsigned>(1, static_cast<unsigned>(cfg.integer("relay-threads")));
  }
}

void build_turn(const Config& cfg, turn::Settings& t) {
  t.fingerprint = cfg.flag("fingerprint");
  t.software = !cfg.flag("no-software-attribute");
  t.software_name = std::string("Ferry/") + FERRY_VERSION;
  t.stun_backward_compatibility = !cfg.flag("no-stun-backward-compatibility");
  // RFC 5780 alternate addresses are not offered yet, so "only with RFC 5780" means never.
  t.response_origin = !cfg.flag("response-origin-only-with-rfc5780");
}

void build_log(const Config& cfg, ProcessSettings& p) {
  p.log.to_stdout = !cfg.flag("no-stdout-log");
  p.log.file = cfg.is_set("log-file") ? cfg.string("log-file") : "";
  p.log.to_syslog = cfg.flag("syslog");
  p.log.simple = cfg.flag("simple-log");
  // Default: startup, shutdown, warnings and errors. verbose/Verbose add session events; no
  // level logs a line per relayed packet.
  p.log_level = cfg.flag("verbose") || cfg.flag("Verbose") ? LogLevel::kDebug : LogLevel::kInfo;
}

}  // namespace

ProcessSettings build_process_settings(const Config& cfg, std::vector<Diagnostic>& diagnostics) {
  ProcessSettings p;
  build_listen(cfg, p.server, diagnostics);
  build_turn(cfg, p.server.turn);
  build_log(cfg, p);
  return p;
}

}  // namespace ferry::config
