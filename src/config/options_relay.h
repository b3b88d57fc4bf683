// Option rows: relay addresses, ports, threads and address families.
#pragma once

#include "option_builder.h"

namespace ferry::config::detail {

inline constexpr std::string_view kRelay = "relay";

inline constexpr OptionSpec kMinPort = Opt(kRelay, "min-port", kInt, "lowest relay port")
                                           .range(1, 65535)
                                           .def("49152")
                                           .arg("PORT")
                                           .to<&net::ServerSettings::min_port>();

inline constexpr OptionSpec kMaxPort = Opt(kRelay, "max-port", kInt, "highest relay port")
                                           .range(1, 65535)
                                           .def("65535")
                                           .arg("PORT")
                                           .to<&net::ServerSettings::max_port>();

inline constexpr OptionSpec kRelayOptions[] = {
    Opt(kRelay, "relay-ip", kList,
        "local address or host name for relay sockets (default: the address the "
        "client reached)")
        .letter('E')
        .arg("IP|HOST")
        .to<&turn::Settings::relay_ips>(),
    Opt(kRelay, "relay-device", kString,
        "bind relay sockets to this network interface (Linux only)")
        .letter('i')
        .arg("DEVICE")
        .to<&net::ServerSettings::relay_device>(),
    Opt(kRelay, "external-ip", kList,
        "public address (or host name, resolved at start) to report when behind NAT; "
        "PUBLIC/PRIVATE pairs map several addresses")
        .letter('X')
        .arg("PUBLIC[/PRIVATE]")
        .to<&turn::Settings::external_ips>(),
    Opt(kRelay, "relay-threads", kInt,
        "worker threads, one per CPU unless set; each has its own sockets and allocations")
        .letter('m')
        .range(0, 1024)
        .def("auto")
        .arg("N")
        .with(&apply_relay_threads),
    kMinPort,
    kMaxPort,
    Opt(kRelay, "no-udp-relay", kFlag, "refuse UDP relay allocations (TCP relay only)")
        .to_not<&turn::Settings::udp_relay>(),
    Opt(kRelay, "tcp-relay", kFlag,
        "allow RFC 6062 TCP relay allocations (off by default, unlike coturn: a TCP relay opens "
        "TCP connections from this host to permitted peers, which WebRTC never needs)")
        .to<&turn::Settings::tcp_relay>(),
    // After tcp-relay: given both, the refusal wins.
    Opt(kRelay, "no-tcp-relay", kFlag, "refuse RFC 6062 TCP relay allocations (the default)")
        .to_not<&turn::Settings::tcp_relay>(),
    Opt(kRelay, "server-relay", kFlag,
        "skip permission checks for traffic arriving at relay sockets (non-standard, unsafe)"),
    Opt(kRelay, "allocation-default-address-family", kString,
        "relay family when the client does not ask for one: ipv4, ipv6 or keep (the family "
        "of the client's own connection)")
        .letter('A')
        .def("ipv4")
        .arg("FAMILY")
        .with(&apply_default_address_family),
    Opt(kRelay, "keep-address-family", kFlag,
        "relay in the client's own address family (older spelling of "
        "allocation-default-address-family=keep)")
        .letter('K')
        .with(&apply_keep_address_family),
    Opt(kRelay, "ne", kInt, "coturn's network engine selector")
        .range(1, 3)
        .arg("1|2|3")
        .always("Ferry has one engine: per-CPU workers with SO_REUSEPORT (see relay-threads)"),
};

}  // namespace ferry::config::detail
