#include "ferry/config/server_settings_builder.h"

#include <algorithm>
#include <memory>
#include <optional>

#include "ferry/auth/credential_store.h"
#include "ferry/stun/channel_data.h"

#ifndef FERRY_VERSION
#define FERRY_VERSION "0.0.0"
#endif

namespace ferry::config {

namespace {

constexpr std::string_view kDefaultRealm = "ferry";

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
  s.listening_device = cfg.is_set("listening-device") ? cfg.string("listening-device") : "";
  s.relay_device = cfg.is_set("relay-device") ? cfg.string("relay-device") : "";
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

void add_warning(std::vector<Diagnostic>& d, std::string where, std::string message) {
  d.push_back(Diagnostic{Diagnostic::Severity::kWarning, std::move(where), std::move(message)});
}

// Each value of a list option through `parse`; a bad one is an error naming its own line.
template <class T, class Parse>
std::vector<T> parse_list(const Config& cfg, std::string_view name, std::string_view expected,
                          std::vector<Diagnostic>& d, Parse parse) {
  std::vector<T> out;
  auto values = cfg.list(name);
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (auto v = parse(values[i])) {
      out.push_back(*v);
    } else {
      add_error(d, cfg.where(name, i),
                "'" + std::string(name) + "' expects " + std::string(expected) + ", got '" +
                    values[i] + "'");
    }
  }
  return out;
}

std::optional<turn::ExternalIp> parse_external_ip(const std::string& text) {
  auto slash = text.find('/');
  auto pub = Address::parse_ip(text.substr(0, slash));
  if (!pub) return std::nullopt;
  turn::ExternalIp e{*pub, {}};
  if (slash != std::string::npos) {
    auto priv = Address::parse_ip(text.substr(slash + 1));
    if (!priv || priv->family() != pub->family()) return std::nullopt;
    e.private_ip = *priv;
  }
  return e;
}

void build_peers(const Config& cfg, turn::PeerPolicySettings& p, std::vector<Diagnostic>& d) {
  auto range = [](const std::string& s) { return turn::AddressRange::parse(s); };
  const char* what = "an address, a range a-b or a CIDR block";
  p.allowed = parse_list<turn::AddressRange>(cfg, "allowed-peer-ip", what, d, range);
  p.denied = parse_list<turn::AddressRange>(cfg, "denied-peer-ip", what, d, range);
  p.allow_loopback = cfg.flag("allow-loopback-peers");
}

void build_credentials(const Config& cfg, net::ServerSettings& s, std::vector<Diagnostic>& d) {
  turn::Settings& t = s.turn;
  t.realm = cfg.string("realm");
  const bool realm_missing = t.realm.empty();
  if (realm_missing) t.realm = kDefaultRealm;
  auto users = std::make_shared<auth::StaticUsers>(t.realm);
  auto entries = cfg.list("user");
  for (std::size_t i = 0; i < entries.size(); ++i) {
    std::string err;
    if (!users->add(entries[i], &err)) add_error(d, cfg.where("user", i), "'user': " + err);
  }
  t.auth_required = !cfg.flag("no-auth");
  t.turn_enabled = !t.auth_required || users->size() > 0;
  if (!t.auth_required) {
    add_warning(d, cfg.where("no-auth"),
                "'no-auth': TURN without credentials -- anyone who reaches this server can "
                "relay through it (an open relay)");
  } else if (users->size() > 0 && realm_missing) {
    // An empty realm breaks browsers' long-term credentials (CONFORMANCE.md), and coturn
    // configs without one exist: use a default and say so.
    add_warning(d, cfg.where("user"),
                "'realm' is not set: using '" + std::string(kDefaultRealm) +
                    "'; clients' keys depend on the realm, so set realm=YOUR.DOMAIN");
  } else if (users->size() == 0 && cfg.is_set("lt-cred-mech")) {
    add_warning(d, cfg.where("lt-cred-mech"),
                "'lt-cred-mech' without any 'user': TURN requests will be refused");
  }
  s.credentials = std::move(users);
}

void build_turn(const Config& cfg, net::ServerSettings& s, std::vector<Diagnostic>& d) {
  turn::Settings& t = s.turn;
  build_credentials(cfg, s, d);
  t.max_lifetime = Seconds(cfg.integer("max-allocate-lifetime"));
  t.default_lifetime = std::min(t.default_lifetime, t.max_lifetime);
  t.permission_lifetime = Seconds(cfg.integer("permission-lifetime"));
  t.channel_lifetime = Seconds(cfg.integer("channel-lifetime"));
  t.nonce_lifetime = Seconds(cfg.integer("stale-nonce"));
  // coturn's "time allowed to complete an allocation": a control connection that has not
  // allocated is closed after this long without a message (slow or abandoned handshakes hold
  // descriptors otherwise); connections with an allocation live as long as it does.
  s.tcp_idle_timeout = Seconds(cfg.integer("max-allocate-timeout"));
  s.max_tcp_connections_per_ip =
      static_cast<std::size_t>(cfg.integer("max-tcp-connections-per-ip"));
  s.tcp_frame_deadline = Seconds(cfg.integer("tcp-frame-timeout"));
  s.tcp_stall_timeout = Seconds(cfg.integer("tcp-stall-timeout"));
  s.tcp_output_limit = static_cast<std::size_t>(cfg.integer("max-tcp-output-per-connection"));
  s.tcp_output_budget = static_cast<std::size_t>(cfg.integer("max-tcp-output-per-worker"));
  s.user_quota = static_cast<std::size_t>(cfg.integer("user-quota"));
  s.total_quota = static_cast<std::size_t>(cfg.integer("total-quota"));
  s.per_ip_quota = static_cast<std::size_t>(cfg.integer("max-allocations-per-ip"));
  t.max_bps = static_cast<std::uint64_t>(cfg.integer("max-bps"));
  s.bps_capacity = static_cast<std::uint64_t>(cfg.integer("bps-capacity"));
  t.max_permissions = static_cast<std::size_t>(cfg.integer("max-permissions-per-allocation"));
  t.max_channels = static_cast<std::size_t>(cfg.integer("max-channels-per-allocation"));
  s.min_port = static_cast<std::uint16_t>(cfg.integer("min-port"));
  s.max_port = static_cast<std::uint16_t>(cfg.integer("max-port"));
  if (s.min_port > s.max_port) {
    add_error(d, cfg.where("min-port"), "'min-port' is above 'max-port'");
  }
  t.relay_ips = parse_list<Address>(cfg, "relay-ip", "an IPv4 or IPv6 address", d,
                                    [](const std::string& v) { return Address::parse_ip(v); });
  t.external_ips = parse_list<turn::ExternalIp>(cfg, "external-ip", "PUBLIC or PUBLIC/PRIVATE", d,
                                                parse_external_ip);
  build_peers(cfg, t.peers, d);
  // external-ip's public addresses are this host's too (the peer policy refuses them), and
  // another allocation's relay is reached through them.
  for (const auto& e : t.external_ips)
    t.peers.public_aliases.push_back({e.public_ip, e.private_ip});
  if (cfg.flag("rfc5766-channel-numbers")) t.max_channel_number = stun::kMaxRfc5766ChannelNumber;
  // A burst of two seconds' worth: a NAT's clients starting together are not cut at once.
  t.unauthenticated_response_rate =
      static_cast<std::uint32_t>(cfg.integer("unauthenticated-response-rate"));
  t.unauthenticated_response_burst = 2 * t.unauthenticated_response_rate;
}

void build_stun(const Config& cfg, turn::Settings& t) {
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

void build_http(const Config& cfg, http::HttpSettings& h, std::vector<Diagnostic>& d) {
  h.enabled = !cfg.flag("no-web");
  h.ips = parse_list<Address>(cfg, "web-listening-ip", "an IPv4 or IPv6 address", d,
                              [](const std::string& v) { return Address::parse_ip(v); });
  // Loopback unless the operator names an address (the page and metrics are for the operator).
  if (h.ips.empty()) h.ips.push_back(*Address::parse_ip("127.0.0.1"));
  h.port = static_cast<std::uint16_t>(cfg.integer("web-listening-port"));
  h.explicit_endpoint = cfg.is_set("web-listening-ip") || cfg.is_set("web-listening-port");
  h.metrics = cfg.flag("prometheus");
  h.username_labels = cfg.flag("prometheus-username-labels");
  if (h.username_labels && !h.metrics) {
    add_warning(d, cfg.where("prometheus-username-labels"),
                "'prometheus-username-labels' without 'prometheus': there are no metrics to label");
  }
  h.cert_file = cfg.is_set("web-cert") ? cfg.string("web-cert") : "";
  h.key_file = cfg.is_set("web-pkey") ? cfg.string("web-pkey") : "";
  if (h.cert_file.empty() != h.key_file.empty()) {
    add_error(d, cfg.where(h.cert_file.empty() ? "web-pkey" : "web-cert"),
              "'web-cert' and 'web-pkey' go together: HTTPS needs both");
  }
  if (!h.enabled) return;
  for (std::size_t i = 0; i < h.ips.size(); ++i) {
    if (!h.ips[i].is_loopback()) {
      // Not an error (the operator asked for it), but the page and /metrics are then
      // reachable by whoever reaches that address.
      add_warning(d, cfg.where("web-listening-ip", i),
                  "'web-listening-ip' " + h.ips[i].ip_string() + " is not loopback: the test page" +
                      (h.metrics ? " and /metrics" : "") +
                      " are served to anyone who can reach it");
    }
  }
}

}  // namespace

ProcessSettings build_process_settings(const Config& cfg, std::vector<Diagnostic>& diagnostics) {
  ProcessSettings p;
  build_listen(cfg, p.server, diagnostics);
  build_stun(cfg, p.server.turn);
  build_turn(cfg, p.server, diagnostics);
  build_log(cfg, p);
  build_http(cfg, p.http, diagnostics);
  return p;
}

}  // namespace ferry::config
