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
};

}  // namespace ferry::http
