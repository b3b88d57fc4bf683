// build_settings: every bound row puts its value in place (a loop over the table), then the
// rules that involve more than one option, then the values derived from the others. Derived
// values are computed here and only here: the network layer and the core take them as given.
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <thread>

#include "ferry/auth/credential_store.h"
#include "ferry/auth/rest_secrets.h"
#include "ferry/auth/userdb_store.h"
#include "ferry/http/credentials.h"
#include "ferry/net/runtime.h"
#include "ferry/userdb/sqlite_source.h"
#include "ferry/userdb_pg/pg_source.h"
#include "ferry/userdb_redis/redis_source.h"
#include "option_rows.h"
#include "values.h"

#ifndef FERRY_VERSION
#define FERRY_VERSION "0.0.0"
#endif

namespace ferry::config {
namespace {

using namespace detail;  // NOLINT: the named rows

// Every listening address at `port` is one of the server's own endpoints: never a peer.
void add_own_endpoints(net::ServerSettings& s, std::uint16_t port) {
  for (Address ip : s.listen_ips) {
    ip.set_port(port);
    s.turn.peers.own_addresses.push_back(ip);
  }
}

std::string quoted(const OptionSpec& spec) {
  return detail::quoted(spec.name);
}

void check_listening(BuildContext& ctx) {
  const auto& cfg = ctx.config;
  const auto& s = ctx.settings.server;
  if (!s.udp && !s.tcp) {
    ctx.error(cfg.where(kNoTcp.name), "both " + quoted(kNoUdp) + " and " + quoted(kNoTcp) +
                                          " are set: nothing would listen");
  }
  if (s.tls && cfg.is_set(kCert.name) != cfg.is_set(kPkey.name)) {
    ctx.error(cfg.where(cfg.is_set(kCert.name) ? kCert.name : kPkey.name),
              quoted(kCert) + " and " + quoted(kPkey) + " go together: TLS needs both");
  }
  if (s.min_port > s.max_port) {
    ctx.error(cfg.where(kMinPort.name), quoted(kMinPort) + " is above " + quoted(kMaxPort));
  }
}

// A REST secret is the key to every credential: anyone holding one captured username and
// password can test guesses of it offline, at billions a second.
constexpr std::size_t kShortSecret = 16;

void check_rest(BuildContext& ctx) {
  const auto& cfg = ctx.config;
  const auth::AuthSettings& a = ctx.settings.auth;
  if (a.rest_separator.size() != 1) {
    ctx.error(cfg.where(kRestApiSeparator.name), quoted(kRestApiSeparator) +
                                                     " must be exactly one character, not '" +
                                                     a.rest_separator + "'");
  } else if (a.rest_separator[0] >= '0' && a.rest_separator[0] <= '9') {
    // The expiry is digits: a digit separator makes "<expiry><sep><user>" readable as
    // "<user><sep><expiry>", so a user part of digits would choose its own expiry.
    ctx.error(cfg.where(kRestApiSeparator.name),
              quoted(kRestApiSeparator) + " must not be a digit: the expiry is made of digits");
  }
  for (std::size_t i = 0; i < a.static_secrets.size(); ++i) {
    const std::string& secret = a.static_secrets[i];
    if (secret.empty()) {
      ctx.error(cfg.where(kStaticAuthSecret.name, i),
                quoted(kStaticAuthSecret) + " is empty: anyone could make valid credentials");
    } else if (secret.size() < kShortSecret) {
      ctx.warning(cfg.where(kStaticAuthSecret.name, i),
                  quoted(kStaticAuthSecret) + " has " + std::to_string(secret.size()) +
                      " characters: one captured credential lets an attacker guess it offline; "
                      "use at least 32 random ones (openssl rand -hex 32)");
    }
  }
  if (!a.rest_mode()) return;
  if (!ctx.settings.users.empty()) {
    // coturn ignores them silently; a drop-in keeps coturn's meaning, and says so.
    ctx.warning(cfg.where(kUser.name),
                quoted(kUser) + " accounts are not used: with " + quoted(kUseAuthSecret) +
                    " only the REST secrets' credentials are valid (as in coturn)");
  }
  if (ctx.settings.http.username_labels) {
    // Each REST credential names a new user ("<expiry>:<user>"): a new series per credential.
    ctx.warning(cfg.where(kPrometheusUsernameLabels.name),
                quoted(kPrometheusUsernameLabels) + " with REST secrets: every credential is " +
                    "its own user name, so every credential makes its own series");
  }
  if (a.static_secrets.empty() && !a.has_userdb()) {
    ctx.warning(cfg.where(kUseAuthSecret.name), quoted(kUseAuthSecret) + " without any " +
                                                    quoted(kStaticAuthSecret) +
                                                    ": TURN requests will be refused");
  }
}

// The user database options set, with their rows (at most one may be).
std::vector<const OptionSpec*> userdbs_set(const auth::AuthSettings& a) {
  std::vector<const OptionSpec*> set;
  if (!a.userdb.empty()) set.push_back(&kUserdb);
  if (!a.redis_userdb.empty()) set.push_back(&kRedisUserdb);
  if (!a.psql_userdb.empty()) set.push_back(&kPsqlUserdb);
  return set;
}

// The SQLite file is opened once here (read-only, no thread): a file that is not a user
// database is an error now rather than 401s later. A missing one is allowed (coturn creates it;
// Ferry's server never writes): its users become valid once turnadmin makes it. A Redis or
// PostgreSQL connection string is parsed, not used: the server starts with the database down
// (its users are refused, with a log line, until it answers).
void check_userdb(BuildContext& ctx) {
  const auth::AuthSettings& a = ctx.settings.auth;
  const auto set = userdbs_set(a);
  if (set.empty()) return;
  const auto where = ctx.config.where(set.back()->name);
  if (set.size() > 1) {
    ctx.error(where, quoted(*set[0]) + " and " + quoted(*set[1]) +
                         " are both set: one user database at a time");
    return;
  }
  if (!ctx.settings.server.turn.auth_required) {
    ctx.warning(where, quoted(*set[0]) + " is not used: " + quoted(kNoAuth) + " is set");
    return;
  }
  if (!a.redis_userdb.empty()) {
    if (auto ok = userdb_redis::parse_redis_conninfo(a.redis_userdb); !ok) {
      ctx.error(where, ok.error());
    }
    return;
  }
  if (!a.psql_userdb.empty()) {
    if (auto ok = userdb_pg::parse_pg_conninfo(a.psql_userdb); !ok) ctx.error(where, ok.error());
    return;
  }
  const std::string& path = a.userdb;
  if (access(path.c_str(), F_OK) != 0) {
    ctx.warning(where, quoted(kUserdb) + " " + path +
                           " does not exist (yet): its users are valid once it is made "
                           "(turnadmin -a -b " +
                           path + " -r REALM -u USER -p PASSWORD)");
    return;
  }
  if (auto ok = userdb::check_database(path); !ok) ctx.error(where, ok.error());
}

void check_credentials(BuildContext& ctx) {
  const auto& cfg = ctx.config;
  const auto& t = ctx.settings.server.turn;
  const bool rest = ctx.settings.auth.rest_mode();
  const bool has_users = !ctx.settings.users.empty() || ctx.settings.auth.has_userdb();
  if (!t.auth_required) {
    ctx.warning(cfg.where(kNoAuth.name),
                quoted(kNoAuth) +
                    ": TURN without credentials -- anyone who reaches this server can relay "
                    "through it (an open relay)");
    return;
  }
  check_rest(ctx);
  check_userdb(ctx);
  if ((has_users || rest) && !cfg.is_set(kRealm.name)) {
    // Browsers' long-term credentials break on an empty realm (CONFORMANCE.md), and coturn
    // configs without one exist: the default applies, and the operator is told.
    ctx.warning(cfg.where(rest                         ? kUseAuthSecret.name
                          : ctx.settings.users.empty() ? userdbs_set(ctx.settings.auth)[0]->name
                                                       : kUser.name),
                quoted(kRealm) + " is not set: using '" + std::string(kRealm.default_value) +
                    "'; clients' keys depend on the realm, so set " + std::string(kRealm.name) +
                    "=YOUR.DOMAIN");
  } else if (!has_users && !rest && cfg.is_set(kLtCredMech.name)) {
    ctx.warning(cfg.where(kLtCredMech.name), quoted(kLtCredMech) + " without any " + quoted(kUser) +
                                                 ": TURN requests will be refused");
  }
}

void check_peers(BuildContext& ctx) {
  const auto& cfg = ctx.config;
  // Accepted silently on its own (it is what Ferry does anyway), but not beside its opposite.
  if (cfg.is_set(kNoLoopbackPeers.name) && ctx.settings.server.turn.peers.allow_loopback) {
    ctx.warning(cfg.where(kNoLoopbackPeers.name),
                quoted(kNoLoopbackPeers) + " and " + quoted(kAllowLoopbackPeers) +
                    " are both set: loopback peers are allowed (" +
                    std::string(kAllowLoopbackPeers.name) + " wins)");
  }
}

// The credential endpoint and the test page's credentials mint TURN REST credentials: they need
// a secret to mint from, and keys and origins that can work.
void check_credential_endpoint(BuildContext& ctx) {
  const auto& cfg = ctx.config;
  const auto& h = ctx.settings.http;
  const bool endpoint = h.credential_endpoint();
  if (!endpoint && !h.test_credentials) {
    if (!h.credential_origins.empty()) {
      ctx.warning(cfg.where(kWebCredentialOrigin.name), quoted(kWebCredentialOrigin) + " without " +
                                                            quoted(kWebCredentialKey) +
                                                            ": the credential endpoint is off");
    }
    return;
  }
  const std::string_view first = endpoint ? kWebCredentialKey.name : kWebTestCredentials.name;
  if (ctx.settings.auth.static_secrets.empty()) {
    ctx.error(cfg.where(first), detail::quoted(first) + " needs " + quoted(kStaticAuthSecret) +
                                    ": the credentials it hands out are TURN REST credentials "
                                    "minted from the first secret listed");
  }
  if (!h.enabled) {
    ctx.error(cfg.where(kNoWeb.name), detail::quoted(first) + " needs the HTTP listener, and " +
                                          quoted(kNoWeb) + " turns it off");
  }
  for (std::size_t i = 0; i < h.credential_keys.size(); ++i) {
    const std::string& key = h.credential_keys[i];
    if (key.empty()) {
      ctx.error(cfg.where(kWebCredentialKey.name, i), quoted(kWebCredentialKey) + " is empty");
    } else if (key.size() < kShortSecret) {
      ctx.warning(cfg.where(kWebCredentialKey.name, i),
                  quoted(kWebCredentialKey) + " has " + std::to_string(key.size()) +
                      " characters: use at least 32 random ones (openssl rand -hex 32)");
    }
  }
  if (endpoint && h.cert_file.empty()) {
    for (const auto& ip : h.ips) {
      if (ip.is_loopback()) continue;
      // Fine behind a TLS proxy on this host; otherwise the API key and every password cross
      // the network readable.
      ctx.warning(cfg.where(kWebCredentialKey.name),
                  quoted(kWebCredentialKey) + " on " + ip.ip_string() + " without " +
                      quoted(kWebCert) + ": the API key and the credentials go in clear text; " +
                      "set " + std::string(kWebCert.name) + "/" + std::string(kWebPkey.name) +
                      " or serve it through a TLS proxy on loopback");
      break;
    }
  }
  for (std::size_t i = 0; i < h.credential_origins.size(); ++i) {
    if (auto problem = http::origin_problem(h.credential_origins[i])) {
      ctx.error(cfg.where(kWebCredentialOrigin.name, i),
                quoted(kWebCredentialOrigin) + ": " + *problem);
    }
  }
}

void check_http(BuildContext& ctx) {
  const auto& cfg = ctx.config;
  const auto& h = ctx.settings.http;
  if (h.username_labels && !h.metrics) {
    ctx.warning(cfg.where(kPrometheusUsernameLabels.name), quoted(kPrometheusUsernameLabels) +
                                                               " without " + quoted(kPrometheus) +
                                                               ": there are no metrics to label");
  }
  if (h.cert_file.empty() != h.key_file.empty()) {
    ctx.error(cfg.where(h.cert_file.empty() ? kWebPkey.name : kWebCert.name),
              quoted(kWebCert) + " and " + quoted(kWebPkey) + " go together: HTTPS needs both");
  }
  check_credential_endpoint(ctx);
  if (!h.enabled) return;
  for (std::size_t i = 0; i < h.ips.size(); ++i) {
    if (h.ips[i].is_loopback()) continue;
    // Not an error (the operator asked for it), but the page and /metrics are then reachable
    // by whoever reaches that address.
    ctx.warning(cfg.where(kWebListeningIp.name),
                quoted(kWebListeningIp) + " " + h.ips[i].ip_string() +
                    " is not loopback: the test page" + (h.metrics ? " and /metrics" : "") +
                    " are served to anyone who can reach it");
  }
}

// The one user database set, as a snapshot source (null when none is set, or its connection
// string did not parse: check_userdb reported that already).
std::unique_ptr<auth::UserDbSource> userdb_source(const auth::AuthSettings& a) {
  if (!a.redis_userdb.empty()) {
    auto info = userdb_redis::parse_redis_conninfo(a.redis_userdb);
    if (!info) return nullptr;
    return std::make_unique<userdb_redis::RedisSource>(std::move(*info));
  }
  if (!a.psql_userdb.empty()) {
    auto info = userdb_pg::parse_pg_conninfo(a.psql_userdb);
    if (!info) return nullptr;
    return std::make_unique<userdb_pg::PgSource>(std::move(*info));
  }
  if (!a.userdb.empty()) return std::make_unique<userdb::SqliteSource>(a.userdb);
  return nullptr;
}

// The credential store: the REST secrets in REST mode (and then only them, as coturn), the
// static accounts otherwise; with a user database, its snapshot beside them (kept current by
// the Runtime's refresher thread, which is not started here: --check-config starts nothing).
// TURN is on only when some credential can be valid.
void derive_credentials(Settings& p) {
  turn::Settings& t = p.server.turn;
  const char separator = p.auth.rest_separator.empty() ? ':' : p.auth.rest_separator[0];
  std::shared_ptr<auth::StaticUsers> users;
  if (!p.auth.rest_mode()) {
    users = std::make_shared<auth::StaticUsers>(t.realm);
    for (const auto& entry : p.users) {
      (void)users->add(entry);  // checked line by line when the row was applied
    }
  }
  std::unique_ptr<auth::UserDbSource> source;
  if (t.auth_required) source = userdb_source(p.auth);
  if (source) {
    // The database may gain credentials at any moment: TURN stays on.
    t.turn_enabled = true;
    auto store = std::make_shared<auth::UserDbStore>(
        std::move(source), auth::UserDbStoreSettings{.realm = t.realm,
                                                     .rest_mode = p.auth.rest_mode(),
                                                     .separator = separator,
                                                     .static_secrets = p.auth.static_secrets,
                                                     .static_users = users,
                                                     .serve_stale_for = p.auth.userdb_max_stale});
    p.server.credentials = store;
    p.server.credential_refresh = store;
    return;
  }
  if (p.auth.rest_mode()) {
    t.turn_enabled = !t.auth_required || !p.auth.static_secrets.empty();
    p.server.credentials =
        std::make_shared<auth::RestSecrets>(p.auth.static_secrets, t.realm, separator);
    return;
  }
  t.turn_enabled = !t.auth_required || users->size() > 0;
  p.server.credentials = std::move(users);
}

// Values that follow from others. Each is decided here once; Runtime and the core use them.
void derive(BuildContext& ctx, const HostFacts& host) {
  Settings& p = ctx.settings;
  net::ServerSettings& s = p.server;
  turn::Settings& t = s.turn;
  t.software_name = std::string("Ferry/") + FERRY_VERSION;
  // RFC 8656 §7.2: the default lifetime never exceeds the configured maximum.
  t.default_lifetime = std::min(t.default_lifetime, t.max_lifetime);
  // A burst of two seconds' worth: a NAT's clients starting together are not cut at once.
  t.unauthenticated_response_burst = 2 * t.unauthenticated_response_rate;
  s.tls_handshake_burst = 2 * s.tls_handshake_rate;
  // external-ip's public addresses are this host's too (the peer policy refuses them), and
  // another allocation's relay is reached through them.
  for (const auto& e : t.external_ips)
    t.peers.public_aliases.push_back({e.public_ip, e.private_ip});

  derive_credentials(p);

  // The credential endpoint mints with the first secret (the rotation order: README).
  if (!p.auth.static_secrets.empty()) p.http.mint_secret = p.auth.static_secrets.front();
  if (!p.auth.rest_separator.empty()) p.http.rest_separator = p.auth.rest_separator[0];

  p.http.metrics_off_text = "metrics are off: set " + quoted(kPrometheus) + " in turnserver.conf\n";
  p.http.explicit_endpoint =
      ctx.config.is_set(kWebListeningIp.name) || ctx.config.is_set(kWebListeningPort.name);

  // Listen on every local address when none is configured (like coturn), so that replies
  // leave from the address that was asked.
  if (s.listen_ips.empty()) s.listen_ips = host.local_addresses();
  if (s.threads == 0) s.threads = std::max(1u, host.cpus);
  // TLS runs when a certificate is configured (coturn's defaults name files that may not
  // exist: without `cert` there is no TURN over TLS, as there is none without the files).
  s.tls = s.tls && ctx.config.is_set(kCert.name);
  // DTLS goes with TLS (it reads the same certificate): a coturn configuration with `no-tls`
  // and certificate lines for files that are not there must still start. Only DTLS 1.2 is
  // offered, so no-tlsv1_2 leaves none.
  s.dtls = s.dtls && s.tls && s.tls_files.tls12;
  // The listening endpoints are never peers (no relaying to ourselves).
  t.peers.own_addresses.clear();
  add_own_endpoints(s, s.port);
  if (s.tls || s.dtls) add_own_endpoints(s, s.tls_port);
  // Relays bind to relay-ip, else to the listening address the client used, or (a family
  // that address lacks, RFC 8656 §7.2) to a listening address of the family asked for.
  s.relay_addresses = t.relay_ips.empty() ? s.listen_ips : t.relay_ips;
  t.listening_ips.clear();
  if (t.relay_ips.empty()) {
    for (const Address& ip : s.listen_ips) {
      if (!ip.is_any()) t.listening_ips.push_back(ip);
    }
  }
  // Each worker enforces its share of the server-wide rates (share-nothing: no counter shared
  // per packet). A client's traffic stays on one worker, so a burst from few clients can be
  // cut below the total; the total is never exceeded.
  if (s.bps_capacity != 0) {
    t.worker_bps_capacity = std::max<std::uint64_t>(1, s.bps_capacity / s.threads);
  }
  // unauthenticated-response-rate is per source prefix for the server: the kernel spreads one
  // source's ports over the workers, each with its own table, so each gets its share.
  if (t.unauthenticated_response_rate != 0) {
    t.unauthenticated_response_rate =
        std::max<std::uint32_t>(1, t.unauthenticated_response_rate / s.threads);
    t.unauthenticated_response_burst =
        std::max<std::uint32_t>(1, t.unauthenticated_response_burst / s.threads);
  }
  // tls-handshake-rate likewise: a source's connections are spread over the workers.
  if (s.tls_handshake_rate != 0) {
    s.tls_handshake_rate = std::max<std::uint32_t>(1, s.tls_handshake_rate / s.threads);
    s.tls_handshake_burst = std::max<std::uint32_t>(1, s.tls_handshake_burst / s.threads);
  }
}

// RFC 5780 §6: a server offering NAT behaviour discovery answers from a second IP and a
// second port. The first two listening addresses of each family pair up (A1 <-> A2); a family
// with one address gets no OTHER-ADDRESS (its CHANGE-REQUESTs get 420).
void derive_nat_discovery(BuildContext& ctx) {
  net::ServerSettings& s = ctx.settings.server;
  turn::NatDiscovery& nat = s.turn.nat;
  nat = {};
  if (!s.rfc5780 || !s.udp) {
    s.alt_port = 0;
    s.alt_tls_port = 0;
    return;
  }
  // Only addresses the operator named: the host's own list starts with loopback, and pairing
  // 127.0.0.1 with a public address would tell Internet clients to test against loopback.
  if (!ctx.config.is_set(kListeningIp.name)) {
    ctx.error(ctx.config.where(kRfc5780.name),
              quoted(kRfc5780) + " needs the two addresses named: set " + quoted(kListeningIp) +
                  " twice (the second is the one CHANGE-REQUEST answers from)");
    s.alt_port = 0;
    s.alt_tls_port = 0;
    return;
  }
  for (Family f : {Family::kV4, Family::kV6}) {
    std::vector<Address> ips;
    for (const auto& ip : s.listen_ips) {
      if (ip.family() == f) ips.push_back(ip);
    }
    if (ips.size() >= 2) nat.partners.emplace_back(ips[0], ips[1]);
  }
  const std::string where = ctx.config.where(kRfc5780.name);
  if (nat.partners.empty()) {
    ctx.error(where, quoted(kRfc5780) +
                         " needs two listening addresses of one family (two listening-ip lines): "
                         "the second is the one CHANGE-REQUEST answers from");
    s.alt_port = 0;
    s.alt_tls_port = 0;
    return;
  }
  if (s.alt_port == 0) s.alt_port = static_cast<std::uint16_t>(s.port + 1);
  if (s.alt_port == s.port || ((s.tls || s.dtls) && s.alt_port == s.tls_port)) {
    ctx.error(ctx.config.where(kAltListeningPort.name),
              quoted(kAltListeningPort) + " must differ from the other listening ports");
    s.alt_port = 0;
    s.alt_tls_port = 0;
    nat = {};
    return;
  }
  nat.port = s.port;
  nat.alt_port = s.alt_port;
  // The alternate ports are this server's too: never a peer (no relaying to ourselves).
  add_own_endpoints(s, s.alt_port);
  // TLS and DTLS get their own second port (coturn's alt-tls-listening-port): a client over
  // TLS learns OTHER-ADDRESS with it (mapping behaviour over TLS, §4.3).
  if (!s.tls && !s.dtls) {
    s.alt_tls_port = 0;
    return;
  }
  const bool named = s.alt_tls_port != 0;
  if (!named) s.alt_tls_port = static_cast<std::uint16_t>(s.tls_port + 1);
  if (s.alt_tls_port == s.port || s.alt_tls_port == s.alt_port || s.alt_tls_port == s.tls_port) {
    if (named) {
      ctx.error(ctx.config.where(kAltTlsListeningPort.name),
                quoted(kAltTlsListeningPort) + " must differ from the other listening ports");
    } else {
      // Derived, it clashes when TLS shares the plain port (tls-listening-port =
      // listening-port, one port for both): such a configuration starts as it did before
      // this option, without the TLS pair, rather than fail on an option it never set.
      ctx.warning(ctx.config.where(kTlsListeningPort.name),
                  quoted(kAltTlsListeningPort) + " (" + quoted(kTlsListeningPort) +
                      " + 1) is another listening port: no second TLS/DTLS port for " +
                      quoted(kRfc5780) + "; set " + quoted(kAltTlsListeningPort) +
                      " to a free port for one");
    }
    s.alt_tls_port = 0;
    return;
  }
  nat.tls_port = s.tls_port;
  nat.alt_tls_port = s.alt_tls_port;
  add_own_endpoints(s, s.alt_tls_port);
}

}  // namespace

void BuildContext::error(std::string where, std::string message) {
  diagnostics.push_back({Diagnostic::Severity::kError, std::move(where), std::move(message)});
}

void BuildContext::warning(std::string where, std::string message) {
  diagnostics.push_back({Diagnostic::Severity::kWarning, std::move(where), std::move(message)});
}

Expected<std::vector<Address>> system_resolve(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0) return fail(gai_strerror(rc));
  std::vector<Address> out;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    Address a = Address::from_sockaddr(ai->ai_addr, ai->ai_addrlen);
    a.set_port(0);
    if (!a.empty() && std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  }
  freeaddrinfo(res);
  return out;
}

HostFacts HostFacts::of_this_host() {
  return {.local_addresses = [] { return net::local_addresses(); },
          .cpus = std::thread::hardware_concurrency()};
}

Settings settings_from_rows(const Config& config, std::vector<Diagnostic>& diagnostics,
                            const Resolver& resolve) {
  Settings settings;
  BuildContext ctx{config, settings, diagnostics, resolve};
  for (const auto& spec : option_table()) {
    if (spec.apply != nullptr) spec.apply(spec, ctx);
  }
  return settings;
}

Settings build_settings(const Config& config, std::vector<Diagnostic>& diagnostics,
                        const Resolver& resolve, const HostFacts& host) {
  Settings settings = settings_from_rows(config, diagnostics, resolve);
  BuildContext ctx{config, settings, diagnostics, resolve};
  check_listening(ctx);
  check_credentials(ctx);
  check_peers(ctx);
  check_http(ctx);
  derive(ctx, host);
  derive_nat_discovery(ctx);
  return settings;
}

}  // namespace ferry::config
