// Option rows: Ferry's HTTP listener (test page, metrics, health) and coturn's metrics options.
#pragma once

#include "option_builder.h"

namespace ferry::config::detail {

inline constexpr std::string_view kWeb = "web";

inline constexpr OptionSpec kWebListeningIp =
    Opt(kWeb, "web-listening-ip", kList,
        "address or host name of the HTTP listener; anything but loopback is an explicit "
        "choice")
        .def("127.0.0.1")
        .arg("IP|HOST")
        .to<&http::HttpSettings::ips>();

inline constexpr OptionSpec kWebListeningPort =
    Opt(kWeb, "web-listening-port", kInt,
        "port of the HTTP listener: test page at /, /metrics, /livez, /readyz, /version")
        .alias("prometheus-port")
        .port()
        .def("9641")
        .to<&http::HttpSettings::port>();

inline constexpr OptionSpec kWebCert =
    Opt(kWeb, "web-cert", kString, "certificate chain for HTTPS on the HTTP listener, PEM")
        .arg("FILE")
        .to<&http::HttpSettings::cert_file>();

inline constexpr OptionSpec kWebPkey =
    Opt(kWeb, "web-pkey", kString, "private key for web-cert, PEM")
        .arg("FILE")
        .to<&http::HttpSettings::key_file>();

inline constexpr OptionSpec kPrometheus =
    Opt(kWeb, "prometheus", kFlag, "serve Prometheus metrics at /metrics on the HTTP listener")
        .to<&http::HttpSettings::metrics>();

inline constexpr OptionSpec kPrometheusUsernameLabels =
    Opt(kWeb, "prometheus-username-labels", kFlag,
        "also export allocations per user, labelled with the user name (one series per user)")
        .to<&http::HttpSettings::username_labels>();

inline constexpr OptionSpec kWebOptions[] = {
    Opt(kWeb, "no-web", kFlag, "do not start the HTTP listener (test page, metrics, health)")
        .to_not<&http::HttpSettings::enabled>(),
    kWebListeningIp,
    kWebListeningPort,
    kWebCert,
    kWebPkey,
    Opt(kWeb, "web-test-credentials", kFlag,
        "let the test page hand out short-lived TURN credentials (trials only)"),
    kPrometheus,
    kPrometheusUsernameLabels,
    Opt(kWeb, "acme-redirect", kString,
        "redirect /.well-known/acme-challenge/ requests to this URL prefix")
        .arg("URL"),
};

}  // namespace ferry::config::detail
