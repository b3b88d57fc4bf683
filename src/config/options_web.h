// Option rows: Ferry's HTTP listener (test page, metrics, health) and coturn's metrics options.
#pragma once

#include "option_builder.h"

namespace ferry::config::detail {

inline constexpr std::string_view kWeb = "web";

inline constexpr OptionSpec kNoWeb =
    Opt(kWeb, "no-web", kFlag, "do not start the HTTP listener (test page, metrics, health)")
        .to_not<&http::HttpSettings::enabled>();

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

inline constexpr OptionSpec kWebCredentialKey =
    Opt(kWeb, "web-credential-key", kList,
        "API key of the credential endpoint (GET /turn, /ice-servers on the HTTP listener: TURN "
        "REST credentials from the first static-auth-secret); setting one turns the endpoint "
        "on; repeat for several callers or to rotate")
        .arg("KEY")
        .secret()
        .to<&http::HttpSettings::credential_keys>();

inline constexpr OptionSpec kWebCredentialOrigin =
    Opt(kWeb, "web-credential-origin", kList,
        "a web origin (scheme://host[:port]) whose pages may call the credential endpoint from "
        "the browser (CORS); requests from any other Origin are refused")
        .arg("ORIGIN")
        .to<&http::HttpSettings::credential_origins>();

inline constexpr OptionSpec kWebCredentialTtl =
    Opt(kWeb, "web-credential-ttl", kInt,
        "lifetime of the credentials the endpoint hands out, in seconds")
        .def("86400")
        .range(60, 30 * 86400)
        .arg("SECONDS")
        .to<&http::HttpSettings::credential_ttl>();

inline constexpr OptionSpec kWebCredentialRate =
    Opt(kWeb, "web-credential-rate", kInt,
        "credential requests per second from one source (IPv4 /24, IPv6 /56), twice that in a "
        "burst; above it 429; 0: no limit")
        .def("10")
        .range(0, 1000000)
        .arg("N")
        .to<&http::HttpSettings::credential_rate>();

inline constexpr OptionSpec kWebTestCredentials =
    Opt(kWeb, "web-test-credentials", kFlag,
        "let the test page fill in short-lived TURN credentials (from the first "
        "static-auth-secret) for browsers on this host only: loopback callers without "
        "X-Forwarded-For/Forwarded/X-Real-IP")
        .to<&http::HttpSettings::test_credentials>();

inline constexpr OptionSpec kWebOptions[] = {
    kNoWeb,
    kWebListeningIp,
    kWebListeningPort,
    kWebCert,
    kWebPkey,
    kWebTestCredentials,
    kWebCredentialKey,
    kWebCredentialOrigin,
    kWebCredentialTtl,
    kWebCredentialRate,
    kPrometheus,
    kPrometheusUsernameLabels,
    Opt(kWeb, "acme-redirect", kString,
        "redirect /.well-known/acme-challenge/ requests to this URL prefix")
        .arg("URL"),
};

}  // namespace ferry::config::detail
