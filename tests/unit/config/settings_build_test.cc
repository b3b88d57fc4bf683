// build_settings (issue 17 item 1): every row reaches the field it is bound to, the defaults
// live in the rows (an empty configuration builds the structs' own defaults), the cross-option
// rules report where, and the derived values are computed once, here. No DNS: host names go
// through a resolver the test supplies.
#include <gtest/gtest.h>

#include <algorithm>

#include <string>
#include <vector>

#include "ferry/auth/credential_store.h"
#include "ferry/config/config.h"
#include "ferry/config/settings.h"

namespace ferry::config {
namespace {

Address ip(const char* text) {
  return *Address::parse_ip(text);
}

HostFacts fixed_host() {
  return {.local_addresses =
              [] {
                return std::vector<Address>{ip("192.0.2.10"), ip("2001:db8::10")};
              },
          .cpus = 4};
}

Expected<std::vector<Address>> test_resolver(const std::string& host) {
  if (host == "turn.example.test")
    return std::vector<Address>{ip("203.0.113.7"), ip("2001:db8::7")};
  if (host == "v6only.example.test") return std::vector<Address>{ip("2001:db8::8")};
  return fail("no such host in the test's table");
}

Settings build(const Config& cfg, std::vector<Diagnostic>& d) {
  return build_settings(cfg, d, test_resolver, fixed_host());
}

std::string messages(const std::vector<Diagnostic>& d) {
  std::string out;
  for (const auto& x : d) out += x.to_string() + "\n";
  return out;
}

bool has_error(const std::vector<Diagnostic>& d) {
  for (const auto& x : d) {
    if (x.severity == Diagnostic::Severity::kError) return true;
  }
  return false;
}

// Defaults live in the rows: what the table builds from nothing equals the structs' defaults
// (which the core's and the network layer's own tests use), field for field.
TEST(SettingsBuild, EmptyConfigurationBuildsTheStructDefaults) {
  Config cfg;
  std::vector<Diagnostic> d;
  Settings rows = settings_from_rows(cfg, d, test_resolver);
  EXPECT_TRUE(d.empty()) << messages(d);
  const Settings defaults;
  EXPECT_TRUE(rows == defaults) << "a row's default and its field's default differ";
  // Spot checks of the documented values (SECURITY.md), so a change to both is noticed too.
  EXPECT_EQ(rows.server.user_quota, 1000u);
  EXPECT_EQ(rows.server.total_quota, 32768u);
  EXPECT_EQ(rows.server.per_ip_quota, 1000u);
  EXPECT_EQ(rows.server.max_tcp_connections_per_ip, 256u);
  EXPECT_EQ(rows.server.min_port, 49152);
  EXPECT_EQ(rows.server.turn.max_lifetime, Seconds(3600));
  EXPECT_EQ(rows.server.turn.realm, "ferry");
  EXPECT_EQ(rows.http.ips, std::vector<Address>{ip("127.0.0.1")});
}

// A value for `spec` other than its default; `attempt` walks through forms for list options,
// whose syntax (address, range, NAME:PASSWORD) the table's type does not say.
std::string sample_value(const OptionSpec& spec, int attempt) {
  switch (spec.type) {
    case OptionType::kFlag:
      return attempt == 0 ? "true" : "";
    case OptionType::kInt:
    case OptionType::kFlagOrInt: {
      auto def = spec.default_value;
      return std::to_string(def == std::to_string(spec.min) ? spec.min + 1 : spec.min);
    }
    case OptionType::kString: {
      // A word, or one of a fixed set (allocation-default-address-family).
      const char* forms[] = {"sample", "ipv6"};
      return attempt < 2 ? forms[attempt] : "";
    }
    case OptionType::kList: {
      const char* forms[] = {"192.0.2.99", "alice:secret", "192.0.2.99:3478"};
      return attempt < 3 ? forms[attempt] : "";
    }
  }
  return "";
}

// The builder covers every row: setting any bound option changes what is built, and does so
// without an error from its own conversion. A new row without a working binding fails here.
// Settings compare by value, except the credential store, which each build makes anew (a
// pointer compare would make every build differ): compared by how many users it holds.
bool same(const Settings& a, const Settings& b) {
  auto users = [](const Settings& s) -> std::size_t {
    const auto* u = dynamic_cast<const auth::StaticUsers*>(s.server.credentials.get());
    return u == nullptr ? 0 : u->size();
  };
  if (users(a) != users(b)) return false;
  Settings copy = a;
  copy.server.credentials = b.server.credentials;
  return copy == b;
}

// What a row needs before it can matter (compared with these alone): the switches that turn
// something off that is off by default, and a port used only with what it serves.
std::vector<std::pair<std::string, std::string>> prerequisites(std::string_view option) {
  if (option == "no-tcp-relay") return {{"tcp-relay", "true"}};
  if (option == "no-tls" || option == "no-dtls") {
    return {{"cert", "/etc/ferry/cert.pem"}, {"pkey", "/etc/ferry/key.pem"}};
  }
  if (option == "alt-tls-listening-port") {
    return {{"rfc5780", "true"},
            {"listening-ip", "192.0.2.1"},
            {"listening-ip", "192.0.2.2"},
            {"cert", "/etc/ferry/cert.pem"},
            {"pkey", "/etc/ferry/key.pem"}};
  }
  if (option == "alt-listening-port") {
    return {{"rfc5780", "true"}, {"listening-ip", "192.0.2.1"}, {"listening-ip", "192.0.2.2"}};
  }
  return {};
}

TEST(SettingsBuild, EveryBoundRowChangesTheSettings) {
  int bound = 0;
  for (const auto& spec : option_table()) {
    if (spec.apply == nullptr) {
      EXPECT_TRUE(spec.support != Support::kImplemented || spec.command_line) << spec.name;
      continue;
    }
    ++bound;
    bool changed = false;
    for (int attempt = 0; !changed && attempt < 4; ++attempt) {
      std::string value = sample_value(spec, attempt);
      if (value.empty()) break;
      Config cfg;
      Config base;
      for (const auto& [option, v] : prerequisites(spec.name)) {
        cfg.append(option, v, "test");
        base.append(option, v, "test");
      }
      cfg.set(spec.name, value, "test");
      std::vector<Diagnostic> d;
      Settings s = build(cfg, d);
      std::vector<Diagnostic> base_d;
      const Settings before = build(base, base_d);
      // Its own conversion failed ("'user': ...", "'relay-ip' expects ..."), as opposed to a
      // rule between options that this one value breaks (web-cert without web-pkey).
      const std::string own = "'" + std::string(spec.name) + "'";
      bool own_error = false;
      for (const auto& x : d) {
        own_error =
            own_error ||
            (x.severity == Diagnostic::Severity::kError &&
             (x.message.rfind(own + ": ", 0) == 0 || x.message.rfind(own + " expects", 0) == 0));
      }
      changed = !own_error && !same(s, before);
    }
    EXPECT_TRUE(changed) << "option '" << spec.name << "' does not reach the settings";
  }
  EXPECT_GT(bound, 50);
}

TEST(SettingsBuild, FlagsAndNumbersLandInTheirFields) {
  Config cfg;
  cfg.set("no-udp", "true", "f:1");
  cfg.set("min-port", "40000", "f:2");
  cfg.set("max-port", "40010", "f:3");
  cfg.set("max-allocate-timeout", "7", "f:4");
  cfg.set("no-software-attribute", "true", "f:5");
  cfg.set("max-allocate-lifetime", "120", "f:6");
  std::vector<Diagnostic> d;
  Settings s = build(cfg, d);
  EXPECT_TRUE(d.empty()) << messages(d);
  EXPECT_FALSE(s.server.udp);
  EXPECT_TRUE(s.server.tcp);
  EXPECT_EQ(s.server.min_port, 40000);
  EXPECT_EQ(s.server.max_port, 40010);
  EXPECT_EQ(s.server.tcp_idle_timeout, Seconds(7));
  EXPECT_FALSE(s.server.turn.software);
  EXPECT_EQ(s.server.turn.max_lifetime, Seconds(120));
  // RFC 8656 §7.2: the default lifetime never exceeds the maximum.
  EXPECT_EQ(s.server.turn.default_lifetime, Seconds(120));
}

TEST(SettingsBuild, CrossOptionRulesNameTheLine) {
  Config cfg;
  cfg.set("min-port", "50000", "a.conf:3");
  cfg.set("max-port", "40000", "a.conf:4");
  cfg.set("no-udp", "true", "a.conf:5");
  cfg.set("no-tcp", "true", "a.conf:6");
  cfg.set("web-cert", "/x.pem", "a.conf:7");
  std::vector<Diagnostic> d;
  build(cfg, d);
  std::string all = messages(d);
  EXPECT_NE(all.find("a.conf:3: error: 'min-port' is above 'max-port'"), std::string::npos) << all;
  EXPECT_NE(all.find("a.conf:6: error: both 'no-udp' and 'no-tcp' are set"), std::string::npos)
      << all;
  EXPECT_NE(all.find("a.conf:7: error: 'web-cert' and 'web-pkey' go together"), std::string::npos)
      << all;
}

TEST(SettingsBuild, LoopbackPeersBothWaysWarns) {
  Config cfg;
  cfg.set("no-loopback-peers", "true", "p:1");
  cfg.set("allow-loopback-peers", "true", "p:2");
  std::vector<Diagnostic> d;
  Settings s = build(cfg, d);
  EXPECT_TRUE(s.server.turn.peers.allow_loopback);
  ASSERT_EQ(d.size(), 1u) << messages(d);
  EXPECT_EQ(d[0].to_string().rfind("p:1: warning: 'no-loopback-peers' and 'allow-loopback-peers' "
                                   "are both set",
                                   0),
            0u)
      << messages(d);
}

TEST(SettingsBuild, CredentialWarnings) {
  {
    Config cfg;
    cfg.append("user", "alice:secret", "c:1");
    std::vector<Diagnostic> d;
    Settings s = build(cfg, d);
    ASSERT_EQ(d.size(), 1u) << messages(d);
    EXPECT_EQ(d[0].to_string().rfind("c:1: warning: 'realm' is not set: using 'ferry'", 0), 0u)
        << messages(d);
    EXPECT_TRUE(s.server.turn.turn_enabled);
    ASSERT_NE(s.server.credentials, nullptr);
  }
  {
    Config cfg;
    cfg.set("lt-cred-mech", "true", "c:2");
    std::vector<Diagnostic> d;
    Settings s = build(cfg, d);
    EXPECT_NE(messages(d).find("c:2: warning: 'lt-cred-mech' without any 'user'"),
              std::string::npos)
        << messages(d);
    EXPECT_FALSE(s.server.turn.turn_enabled);
  }
  {
    Config cfg;
    cfg.append("user", "no-colon", "c:3");
    std::vector<Diagnostic> d;
    build(cfg, d);
    EXPECT_NE(messages(d).find("c:3: error: 'user': "), std::string::npos) << messages(d);
  }
}

// Derived values are decided here, once: the listening addresses when none is configured,
// one worker per CPU, the relay addresses, the own addresses the peer policy refuses, and each
// worker's share of the server-wide rates.
TEST(SettingsBuild, DerivedValues) {
  Config cfg;
  cfg.set("bps-capacity", "1000000", "d:1");
  cfg.set("listening-port", "3479", "d:2");
  std::vector<Diagnostic> d;
  Settings s = build(cfg, d);
  EXPECT_TRUE(d.empty()) << messages(d);
  const std::vector<Address> host{ip("192.0.2.10"), ip("2001:db8::10")};
  EXPECT_EQ(s.server.listen_ips, host);
  EXPECT_EQ(s.server.relay_addresses, host);
  // Without relay-ip, a family the client's listening address lacks relays on another
  // listening address of that family (RFC 8656 §7.2, dual stack).
  EXPECT_EQ(s.server.turn.listening_ips, host);
  EXPECT_EQ(s.server.threads, 4u);
  ASSERT_EQ(s.server.turn.peers.own_addresses.size(), 2u);
  EXPECT_EQ(s.server.turn.peers.own_addresses[0].to_string(), "192.0.2.10:3479");
  EXPECT_EQ(s.server.turn.worker_bps_capacity, 250000u);
  EXPECT_EQ(s.server.turn.unauthenticated_response_rate, 50u);    // 200 / 4 workers
  EXPECT_EQ(s.server.turn.unauthenticated_response_burst, 100u);  // twice that
  EXPECT_EQ(s.server.tls_handshake_rate, 12u);                    // 50 / 4 workers
  EXPECT_EQ(s.server.tls_handshake_burst, 25u);                   // 100 / 4
  EXPECT_EQ(s.server.turn.software_name, std::string("Ferry/") + FERRY_VERSION);
  EXPECT_EQ(s.http.metrics_off_text, "metrics are off: set 'prometheus' in turnserver.conf\n");

  Config explicit_cfg;
  explicit_cfg.append("listening-ip", "198.51.100.1", "e:1");
  explicit_cfg.append("relay-ip", "198.51.100.2", "e:2");
  explicit_cfg.set("relay-threads", "0", "e:3");  // coturn: 0 means one thread
  Settings e = build(explicit_cfg, d);
  EXPECT_EQ(e.server.listen_ips, std::vector<Address>{ip("198.51.100.1")});
  EXPECT_EQ(e.server.relay_addresses, std::vector<Address>{ip("198.51.100.2")});
  EXPECT_TRUE(e.server.turn.listening_ips.empty());  // relay-ip decides alone
  EXPECT_EQ(e.server.threads, 1u);
  EXPECT_EQ(e.server.turn.unauthenticated_response_rate, 200u);
  EXPECT_EQ(e.server.tls_handshake_rate, 50u);
  EXPECT_EQ(e.server.tls_handshake_burst, 100u);
}

// rfc5780 pairs the first two listening addresses of each family and listens on
// alt-listening-port (0: listening-port + 1, as coturn); without two addresses of one family
// it is an error naming its line, as is an alternate port equal to another listening port.
TEST(SettingsBuild, Rfc5780PairsAddressesAndPicksTheAlternatePort) {
  Config cfg;
  cfg.append("listening-ip", "192.0.2.1", "n:1");
  cfg.append("listening-ip", "192.0.2.2", "n:2");
  cfg.append("listening-ip", "2001:db8::1", "n:3");
  cfg.set("rfc5780", "true", "n:4");
  std::vector<Diagnostic> d;
  Settings s = build(cfg, d);
  EXPECT_FALSE(has_error(d)) << messages(d);
  const auto& nat = s.server.turn.nat;
  ASSERT_EQ(nat.partners.size(), 1u);  // the IPv6 family has one address: no partner
  EXPECT_EQ(nat.partners[0].first, ip("192.0.2.1"));
  EXPECT_EQ(nat.partners[0].second, ip("192.0.2.2"));
  EXPECT_EQ(nat.port, 3478);
  EXPECT_EQ(nat.alt_port, 3479);
  EXPECT_EQ(s.server.alt_port, 3479);
  EXPECT_EQ(nat.other_of(*Address::parse_endpoint("192.0.2.2:3479")),
            *Address::parse_endpoint("192.0.2.1:3478"));
  EXPECT_TRUE(nat.other_of(*Address::parse_endpoint("[2001:db8::1]:3478")).empty());
  // The alternate port is the server's own: never a peer.
  const auto& own = s.server.turn.peers.own_addresses;
  EXPECT_NE(std::find(own.begin(), own.end(), *Address::parse_endpoint("192.0.2.2:3479")),
            own.end());

  Config unnamed;  // the host's own address list is not used: it starts with loopback
  unnamed.set("rfc5780", "true", "u:1");
  std::vector<Diagnostic> u;
  build(unnamed, u);
  EXPECT_NE(messages(u).find("u:1: error: 'rfc5780' needs the two addresses named"),
            std::string::npos)
      << messages(u);

  Config off;  // without rfc5780 nothing listens on the alternate port
  off.append("listening-ip", "192.0.2.1", "o:1");
  off.append("listening-ip", "192.0.2.2", "o:2");
  off.set("alt-listening-port", "4000", "o:3");
  Settings o = build(off, d);
  EXPECT_FALSE(o.server.turn.nat.on());
  EXPECT_EQ(o.server.alt_port, 0);

  Config one;
  one.append("listening-ip", "192.0.2.1", "x:1");
  one.set("rfc5780", "true", "x:2");
  std::vector<Diagnostic> e;
  build(one, e);
  EXPECT_NE(messages(e).find("x:2: error: 'rfc5780' needs two listening addresses of one family"),
            std::string::npos)
      << messages(e);

  Config clash = cfg;
  clash.set("alt-listening-port", "3478", "y:1");
  std::vector<Diagnostic> f;
  build(clash, f);
  EXPECT_NE(messages(f).find("y:1: error: 'alt-listening-port' must differ"), std::string::npos)
      << messages(f);
  EXPECT_EQ(s.server.alt_tls_port, 0);  // no certificate: no TLS, no TLS pair
  EXPECT_EQ(nat.alt_tls_port, 0);
}

// With TLS (a certificate) rfc5780 gives TLS and DTLS their second port too:
// alt-tls-listening-port, 0 meaning tls-listening-port + 1 (coturn's default).
TEST(SettingsBuild, Rfc5780WithTlsPicksTheAlternateTlsPort) {
  Config cfg;
  cfg.append("listening-ip", "192.0.2.1", "t:1");
  cfg.append("listening-ip", "192.0.2.2", "t:2");
  cfg.set("rfc5780", "true", "t:3");
  cfg.set("cert", "/etc/ferry/cert.pem", "t:4");
  cfg.set("pkey", "/etc/ferry/key.pem", "t:5");
  std::vector<Diagnostic> d;
  Settings s = build(cfg, d);
  EXPECT_FALSE(has_error(d)) << messages(d);
  EXPECT_EQ(s.server.alt_tls_port, 5350);
  const auto& nat = s.server.turn.nat;
  EXPECT_EQ(nat.tls_port, 5349);
  EXPECT_EQ(nat.alt_tls_port, 5350);
  EXPECT_EQ(nat.other_of(*Address::parse_endpoint("192.0.2.1:5349"), true),
            *Address::parse_endpoint("192.0.2.2:5350"));
  const auto& own = s.server.turn.peers.own_addresses;
  EXPECT_NE(std::find(own.begin(), own.end(), *Address::parse_endpoint("192.0.2.2:5350")),
            own.end());

  Config chosen = cfg;
  chosen.set("alt-tls-listening-port", "5443", "t:6");
  EXPECT_EQ(build(chosen, d).server.alt_tls_port, 5443);

  Config clash = cfg;
  clash.set("alt-tls-listening-port", "3479", "t:7");  // the UDP alternate port
  std::vector<Diagnostic> c;
  build(clash, c);
  EXPECT_NE(messages(c).find("t:7: error: 'alt-tls-listening-port' must differ"), std::string::npos)
      << messages(c);

  Config off = cfg;  // without rfc5780, no second TLS port
  off.set("rfc5780", "false", "t:8");
  EXPECT_EQ(build(off, d).server.alt_tls_port, 0);
}

// TLS on the plain port (tls-listening-port = listening-port, one port for both, as on 443):
// the derived second TLS port, tls-listening-port + 1, is the UDP alternate port. That
// configuration started before alt-tls-listening-port was bound; it still starts, without
// the TLS pair (a warning says how to get one), instead of failing on an option it never set.
TEST(SettingsBuild, Rfc5780WithTlsOnThePlainPortStillStarts) {
  Config cfg;
  cfg.append("listening-ip", "192.0.2.1", "p:1");
  cfg.append("listening-ip", "192.0.2.2", "p:2");
  cfg.set("rfc5780", "true", "p:3");
  cfg.set("cert", "/etc/ferry/cert.pem", "p:4");
  cfg.set("pkey", "/etc/ferry/key.pem", "p:5");
  cfg.set("listening-port", "443", "p:6");
  cfg.set("tls-listening-port", "443", "p:7");
  std::vector<Diagnostic> d;
  Settings s = build(cfg, d);
  EXPECT_FALSE(has_error(d)) << messages(d);
  EXPECT_NE(messages(d).find("alt-tls-listening-port"), std::string::npos) << messages(d);
  EXPECT_EQ(s.server.alt_port, 444);
  EXPECT_EQ(s.server.alt_tls_port, 0);
  EXPECT_EQ(s.server.turn.nat.alt_port, 444);  // UDP's pair stands
  EXPECT_EQ(s.server.turn.nat.alt_tls_port, 0);
  // Named, the same clash is the operator's: an error.
  Config named = cfg;
  named.set("alt-tls-listening-port", "444", "p:8");
  std::vector<Diagnostic> n;
  build(named, n);
  EXPECT_NE(messages(n).find("p:8: error: 'alt-tls-listening-port' must differ"), std::string::npos)
      << messages(n);
}

// allocation-default-address-family (coturn's values, any case) and keep-address-family, its
// older spelling of `keep`; another value is an error naming its line.
TEST(SettingsBuild, AllocationDefaultAddressFamily) {
  std::vector<Diagnostic> d;
  EXPECT_EQ(build(Config{}, d).server.turn.default_family, turn::DefaultFamily::kIpv4);
  const std::pair<const char*, turn::DefaultFamily> cases[] = {
      {"ipv4", turn::DefaultFamily::kIpv4},
      {"IPv6", turn::DefaultFamily::kIpv6},
      {"keep", turn::DefaultFamily::kKeep}};
  for (const auto& [text, family] : cases) {
    Config cfg;
    cfg.set("allocation-default-address-family", text, "f:1");
    Settings s = build(cfg, d);
    EXPECT_TRUE(d.empty()) << messages(d);
    EXPECT_EQ(s.server.turn.default_family, family) << text;
  }
  Config keep;
  keep.set("keep-address-family", "true", "f:2");
  EXPECT_EQ(build(keep, d).server.turn.default_family, turn::DefaultFamily::kKeep);
  EXPECT_TRUE(d.empty()) << messages(d);
  Config bad;
  bad.set("allocation-default-address-family", "ipv5", "f:3");
  build(bad, d);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].where, "f:3");
  EXPECT_EQ(d[0].message,
            "'allocation-default-address-family' expects ipv4, ipv6 or keep, got 'ipv5'");
}

// listening-ip, relay-ip and external-ip take host names, resolved when the settings are built
// (as coturn does); a name that does not resolve is an error naming its line.
TEST(SettingsBuild, HostNamesResolve) {
  Config cfg;
  cfg.append("listening-ip", "turn.example.test", "h:1");
  cfg.append("relay-ip", "v6only.example.test", "h:2");
  cfg.append("external-ip", "turn.example.test", "h:3");
  cfg.append("external-ip", "turn.example.test/10.0.0.5", "h:4");
  std::vector<Diagnostic> d;
  Settings s = build(cfg, d);
  EXPECT_TRUE(d.empty()) << messages(d);
  EXPECT_EQ(s.server.listen_ips, (std::vector<Address>{ip("203.0.113.7"), ip("2001:db8::7")}));
  EXPECT_EQ(s.server.turn.relay_ips, std::vector<Address>{ip("2001:db8::8")});
  // One mapping per family for a bare name; with PRIVATE, the public address of its family.
  ASSERT_EQ(s.server.turn.external_ips.size(), 3u);
  EXPECT_EQ(s.server.turn.external_ips[0].public_ip, ip("203.0.113.7"));
  EXPECT_EQ(s.server.turn.external_ips[1].public_ip, ip("2001:db8::7"));
  EXPECT_EQ(s.server.turn.external_ips[2].public_ip, ip("203.0.113.7"));
  EXPECT_EQ(s.server.turn.external_ips[2].private_ip, ip("10.0.0.5"));
  // The public addresses are this host's too: the peer policy refuses them.
  EXPECT_EQ(s.server.turn.peers.public_aliases.size(), 3u);
}

TEST(SettingsBuild, HostNameErrors) {
  Config cfg;
  cfg.append("external-ip", "nowhere.example.test", "n:1");
  cfg.append("listening-ip", "10.0.0.300", "n:2");  // a bad address, not a name: no lookup
  cfg.append("relay-ip", "bad_name", "n:3");
  cfg.append("external-ip", "v6only.example.test/10.0.0.1", "n:4");
  std::vector<Diagnostic> d;
  build(cfg, d);
  std::string all = messages(d);
  EXPECT_TRUE(has_error(d));
  EXPECT_NE(all.find("n:1: error: 'external-ip': cannot resolve 'nowhere.example.test': no such "
                     "host in the test's table"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("n:2: error: 'listening-ip' expects an IPv4 or IPv6 address or a host name, "
                     "got '10.0.0.300'"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("n:3: error: 'relay-ip' expects"), std::string::npos) << all;
  EXPECT_NE(all.find("n:4: error: 'external-ip': 'v6only.example.test/10.0.0.1' has no public "
                     "address of the private address's family"),
            std::string::npos)
      << all;
}

TEST(SettingsBuild, ZeroTurnsAQuotaOff) {
  Config cfg;
  cfg.set("user-quota", "0", "test");
  cfg.set("total-quota", "0", "test");
  cfg.set("max-allocations-per-ip", "0", "test");
  std::vector<Diagnostic> d;
  Settings s = build(cfg, d);
  EXPECT_EQ(s.server.user_quota, 0u);
  EXPECT_EQ(s.server.total_quota, 0u);
  EXPECT_EQ(s.server.per_ip_quota, 0u);
}

}  // namespace
}  // namespace ferry::config
