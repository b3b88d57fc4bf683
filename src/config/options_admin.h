// Option rows: coturn's telnet CLI, its web admin page and the statistics database.
#pragma once

#include "option_builder.h"

namespace ferry::config::detail {

inline constexpr std::string_view kAdmin = "admin";

inline constexpr OptionSpec kAdminOptions[] = {
    Opt(kAdmin, "no-cli", kFlag, "do not start the telnet admin interface")
        .always("Ferry has no telnet admin interface; the HTTP listener serves the admin view"),
    Opt(kAdmin, "cli-ip", kString, "address of the telnet admin interface")
        .def("127.0.0.1")
        .arg("IP"),
    Opt(kAdmin, "cli-port", kInt, "port of the telnet admin interface").port().def("5766"),
    Opt(kAdmin, "cli-password", kString,
        "password of the telnet admin interface (turnadmin -P makes a hashed one)")
        .arg("PASSWORD")
        .secret(),
    Opt(kAdmin, "cli-max-output-sessions", kInt, "most sessions the telnet 'ps' command lists")
        .def("256")
        .arg("N"),
    Opt(kAdmin, "web-admin", kFlag, "start coturn's HTTPS admin page"),
    Opt(kAdmin, "web-admin-ip", kString, "address of the admin page").def("127.0.0.1").arg("IP"),
    Opt(kAdmin, "web-admin-port", kInt, "port of the admin page").port().def("8080"),
    Opt(kAdmin, "web-admin-listen-on-workers", kFlag,
        "also serve the admin page on the STUN/TURN ports (unsafe)"),
    Opt(kAdmin, "redis-statsdb", kString, "Redis database for allocation status and events")
        .letter('O')
        .arg("CONNINFO")
        .secret(),
};

}  // namespace ferry::config::detail
