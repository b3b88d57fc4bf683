// Option rows: quotas, bandwidth and lifetimes (RFC 8656 defaults).
#pragma once

#include "option_builder.h"

namespace ferry::config::detail {

inline constexpr std::string_view kLimits = "limits";

inline constexpr OptionSpec kStaleNonce =
    Opt(kLimits, "stale-nonce", kFlagOrInt, "nonce lifetime in seconds; an expired nonce gets 438")
        .def("600")
        .arg("SECONDS")
        .to<&turn::Settings::nonce_lifetime>();

inline constexpr OptionSpec kLimitsOptions[] = {
    // Non-zero defaults (coturn's are 0): one credential must not take every relay port. They
    // are far above what WebRTC clients use; SECURITY.md says why each is what it is.
    Opt(kLimits, "user-quota", kInt,
        "concurrent allocations per user, EVEN-PORT reservations included (0: no limit)")
        .letter('q')
        .def("1000")
        .arg("N")
        .to<&net::ServerSettings::user_quota>(),
    Opt(kLimits, "total-quota", kInt,
        "concurrent allocations in total, EVEN-PORT reservations included (0: no limit)")
        .letter('Q')
        .def("32768")
        .arg("N")
        .to<&net::ServerSettings::total_quota>(),
    Opt(kLimits, "max-allocations-per-ip", kInt,
        "concurrent allocations from one client IP address (0: no limit)")
        .range(0, kIntMax)
        .def("1000")
        .arg("N")
        .to<&net::ServerSettings::per_ip_quota>(),
    Opt(kLimits, "max-permissions-per-allocation", kInt,
        "permissions one allocation may hold; more get 508")
        .range(1, kIntMax)
        .def("128")
        .arg("N")
        .to<&turn::Settings::max_permissions>(),
    Opt(kLimits, "max-tcp-relay-connections-per-allocation", kInt,
        "RFC 6062 peer connections (pending and established) one TCP allocation may hold; "
        "more Connects get 508 and more inbound peers are closed")
        .range(1, 4096)
        .def("64")
        .arg("N")
        .to<&turn::Settings::max_tcp_connections>(),
    Opt(kLimits, "max-channels-per-allocation", kInt,
        "channel bindings one allocation may hold; more get 508")
        .range(1, 0x4000)
        .def("128")
        .arg("N")
        .to<&turn::Settings::max_channels>(),
    Opt(kLimits, "max-bps", kInt,
        "bytes per second one allocation may relay, each direction separately (0: no limit); "
        "what is over it is dropped")
        .letter('s')
        .range(0, kInt64Max)
        .def("0")
        .arg("BYTES")
        .to<&turn::Settings::max_bps>(),
    Opt(kLimits, "bps-capacity", kInt,
        "bytes per second all allocations together may relay, each direction separately "
        "(0: no limit); each worker enforces its share")
        .letter('B')
        .range(0, kInt64Max)
        .def("0")
        .arg("BYTES")
        .to<&net::ServerSettings::bps_capacity>(),
    kStaleNonce,
    Opt(kLimits, "max-allocate-lifetime", kInt, "longest allocation lifetime a client may ask for")
        .range(1, kIntMax)
        .def("3600")
        .arg("SECONDS")
        .to<&turn::Settings::max_lifetime>(),
    Opt(kLimits, "channel-lifetime", kInt, "channel binding lifetime (RFC 8656: 600)")
        .range(1, kIntMax)
        .def("600")
        .arg("SECONDS")
        .to<&turn::Settings::channel_lifetime>(),
    Opt(kLimits, "permission-lifetime", kInt, "permission lifetime (RFC 8656: 300)")
        .range(1, kIntMax)
        .def("300")
        .arg("SECONDS")
        .to<&turn::Settings::permission_lifetime>(),
    Opt(kLimits, "max-tcp-connections-per-ip", kInt,
        "client TCP connections from one IP address at once (0: no limit); all together are "
        "bounded by the descriptor limit")
        .range(0, kIntMax)
        .def("256")
        .arg("N")
        .to<&net::ServerSettings::max_tcp_connections_per_ip>(),
    Opt(kLimits, "tcp-frame-timeout", kInt,
        "a STUN message or ChannelData frame on a TCP connection must arrive whole within this "
        "many seconds of its first byte, however slowly bytes come")
        .range(1, kIntMax)
        .def("10")
        .arg("SECONDS")
        .to<&net::ServerSettings::tcp_frame_deadline>(),
    Opt(kLimits, "tcp-stall-timeout", kInt,
        "a TCP connection whose queued output makes no progress for this many seconds is closed")
        .range(1, kIntMax)
        .def("30")
        .arg("SECONDS")
        .to<&net::ServerSettings::tcp_stall_timeout>(),
    Opt(kLimits, "max-tcp-output-per-connection", kInt,
        "bytes queued for one TCP client at most; over it its requests wait and data relayed to "
        "it is dropped")
        .range(4096, kIntMax)
        .def("65536")
        .arg("BYTES")
        .to<&net::ServerSettings::tcp_output_limit>(),
    Opt(kLimits, "max-tcp-output-per-worker", kInt,
        "bytes queued for all TCP clients of one worker thread together at most")
        .range(65536, kInt64Max)
        .def("67108864")
        .arg("BYTES")
        .to<&net::ServerSettings::tcp_output_budget>(),
    Opt(kLimits, "max-allocate-timeout", kInt,
        "a TCP connection that carries no allocation and sends no complete message for this "
        "long is closed")
        .range(1, kIntMax)
        .def("60")
        .arg("SECONDS")
        .to<&net::ServerSettings::tcp_idle_timeout>(),
    Opt(kLimits, "unauthenticated-response-rate", kInt,
        "answers without MESSAGE-INTEGRITY (Binding, 401/438, other errors) to UDP clients "
        "without an allocation, per second per source /24 (IPv4) or /56 (IPv6), bursts of "
        "twice as many, for the server (each relay thread enforces its share); over it they "
        "are dropped, so a spoofed request cannot make the server flood its victim (0: no "
        "limit)")
        .range(0, 1000000)
        .def("200")
        .arg("N")
        .to<&turn::Settings::unauthenticated_response_rate>(),
};

}  // namespace ferry::config::detail
