// Option rows: where clients reach the server, and where it sends them instead.
#pragma once

#include "option_builder.h"

namespace ferry::config::detail {

inline constexpr std::string_view kListening = "listening";

inline constexpr OptionSpec kNoUdp =
    Opt(kListening, "no-udp", kFlag, "do not accept clients over UDP")
        .to_not<&net::ServerSettings::udp>();

inline constexpr OptionSpec kNoTcp =
    Opt(kListening, "no-tcp", kFlag, "do not accept clients over TCP")
        .to_not<&net::ServerSettings::tcp>();

inline constexpr OptionSpec kListeningPort =
    Opt(kListening, "listening-port", kInt, "UDP and TCP port for plain STUN/TURN clients")
        .letter('p')
        .port()
        .def("3478")
        .to<&net::ServerSettings::port>();

inline constexpr OptionSpec kTlsListeningPort =
    Opt(kListening, "tls-listening-port", kInt,
        "TCP port for TURN over TLS (turns:), UDP port for TURN over DTLS")
        .port()
        .def("5349")
        .to<&net::ServerSettings::tls_port>();

inline constexpr OptionSpec kAltListeningPort =
    Opt(kListening, "alt-listening-port", kInt,
        "second UDP port for RFC 5780 NAT behaviour discovery (CHANGE-REQUEST), with rfc5780; "
        "0: listening-port + 1")
        .range(0, 65535)
        .def("0")
        .arg("PORT")
        .to<&net::ServerSettings::alt_port>();

inline constexpr OptionSpec kListeningIp =
    Opt(kListening, "listening-ip", kList,
        "address or host name to listen on (default: every local address)")
        .letter('L')
        .arg("IP|HOST")
        .to<&net::ServerSettings::listen_ips>();

inline constexpr OptionSpec kAltTlsListeningPort =
    Opt(kListening, "alt-tls-listening-port", kInt,
        "second TLS and DTLS port for RFC 5780, with rfc5780 and TLS: a Binding over TLS or DTLS "
        "learns the other address and this port in OTHER-ADDRESS; 0: tls-listening-port + 1")
        .range(0, 65535)
        .def("0")
        .arg("PORT")
        .to<&net::ServerSettings::alt_tls_port>();

inline constexpr OptionSpec kListeningOptions[] = {
    kListeningPort,
    kTlsListeningPort,
    kAltListeningPort,
    kAltTlsListeningPort,
    Opt(kListening, "tcp-proxy-port", kInt,
        "extra TCP port for a load balancer that prepends a PROXY protocol v2 header")
        .port(),
    kListeningIp,
    Opt(kListening, "listening-device", kString,
        "bind the listening sockets to this network interface (Linux only)")
        .letter('d')
        .arg("DEVICE")
        .to<&net::ServerSettings::listening_device>(),
    kNoUdp,
    kNoTcp,
    Opt(kListening, "aux-server", kList, "extra listening endpoint without RFC 5780 alternates")
        .arg("IP:PORT"),
    Opt(kListening, "udp-self-balance", kFlag,
        "spread UDP Allocate requests over the aux-server endpoints with 300 ALTERNATE-SERVER"),
    Opt(kListening, "alternate-server", kList,
        "send UDP and TCP clients' Allocate requests to these servers, round robin, with 300 "
        "Try Alternate (after authentication)")
        .arg("IP:PORT")
        .to<&turn::Settings::alternate_servers>(),
    Opt(kListening, "tls-alternate-server", kList,
        "like alternate-server, for TLS and DTLS clients")
        .arg("IP:PORT")
        .to<&turn::Settings::tls_alternate_servers>(),
};

}  // namespace ferry::config::detail
