// What the internal HTTP listener needs (test page, metrics, health), built by ferry_config.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ferry/common/address.h"

namespace ferry::http {

struct HttpSettings {
  bool enabled = true;                                          // no-web turns it off
  std::vector<Address> ips = {Address::v4({127, 0, 0, 1}, 0)};  // web-listening-ip (port ignored)
  std::uint16_t port = 9641;  // web-listening-port / prometheus-port; 0: any
  // Set when the operator chose the address or port: then a bind failure stops the start.
  // With the defaults (a second server on the same host, say) it is a warning.
  bool explicit_endpoint = false;
  bool metrics = false;          // prometheus: serve /metrics
  bool username_labels = false;  // prometheus-username-labels
  std::string cert_file;         // web-cert / web-pkey: HTTPS
  std::string key_file;
  // What /metrics answers while metrics are off; the configuration step names the option
  // that turns them on (only the option table knows option names).
  std::string metrics_off_text = "metrics are off\n";

  // The credential endpoint (/turn, /ice-servers; credentials.h): on when a key is set.
  std::vector<std::string> credential_keys;     // web-credential-key
  std::vector<std::string> credential_origins;  // web-credential-origin (exact Origin values)
  std::int64_t credential_ttl = 86400;          // web-credential-ttl, seconds
  std::uint32_t credential_rate = 10;           // web-credential-rate, per second and source
  bool test_credentials = false;                // web-test-credentials (loopback callers only)
  // Derived (settings_build.cc): the REST secret that mints (the first static-auth-secret;
  // every listed one stays valid for TURN) and rest-api-separator.
  std::string mint_secret;
  char rest_separator = ':';
  bool credential_endpoint() const { return !credential_keys.empty(); }

  bool operator==(const HttpSettings&) const = default;
};

// What the test page is told about this server (/config.json).
struct PageInfo {
  std::string software;  // "Ferry/0.1.0"
  std::string realm;
  std::uint16_t port = 3478;  // listening-port
  bool udp = true;
  bool tcp = true;
  std::vector<Address> addresses;  // where clients reach it: external-ip, else listeners
  std::uint16_t tls_port = 0;      // tls-listening-port when TURN over TLS runs, else 0
  std::string tls_name;            // a DNS name of the TLS certificate, for turns: URIs
};

}  // namespace ferry::http
