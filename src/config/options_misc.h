// Option rows: what the process does (-c, -n, -h, --version, --check-config) and how it runs.
#pragma once

#include "option_builder.h"

namespace ferry::config::detail {

inline constexpr std::string_view kMisc = "misc";

inline constexpr OptionSpec kConfigFile =
    Opt(kMisc, "config", kString, "read this configuration file instead of searching for one")
        .letter('c')
        .def("turnserver.conf")
        .arg("FILE")
        .action();

inline constexpr OptionSpec kNoConfig =
    Opt(kMisc, "no-config", kFlag, "read no configuration file, only the command line")
        .letter('n')
        .action();

inline constexpr OptionSpec kCheckConfig =
    Opt(kMisc, "check-config", kFlag,
        "check the configuration, print the effective settings and exit")
        .action();

inline constexpr OptionSpec kHelp =
    Opt(kMisc, "help", kFlag, "print this help and exit").letter('h').action();

inline constexpr OptionSpec kVersion =
    Opt(kMisc, "version", kFlag, "print the version and exit").action();

inline constexpr OptionSpec kMiscOptions[] = {
    kConfigFile,
    kNoConfig,
    kCheckConfig,
    kHelp,
    kVersion,
    Opt(kMisc, "daemon", kFlag, "detach from the terminal and run in the background").letter('o'),
    Opt(kMisc, "pidfile", kString, "write the process id to this file")
        .def("/var/run/turnserver.pid")
        .arg("FILE"),
    Opt(kMisc, "proc-user", kString, "switch to this user after binding the ports").arg("USER"),
    Opt(kMisc, "proc-group", kString, "switch to this group after binding the ports").arg("GROUP"),
};

}  // namespace ferry::config::detail
