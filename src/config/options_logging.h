// Option rows: how much is logged and where it goes.
#pragma once

#include "option_builder.h"

namespace ferry::config::detail {

inline constexpr std::string_view kLogging = "logging";

inline constexpr OptionSpec kLoggingOptions[] = {
    Opt(kLogging, "verbose", kFlag, "log session events as well as start-up and errors")
        .letter('v')
        .with(&apply_verbose),
    Opt(kLogging, "Verbose", kFlag, "log in the most detail (debugging only)")
        .letter('V')
        .with(&apply_verbose),
    Opt(kLogging, "log-file", kString,
        "log to this file; \"stdout\" or \"-\" for standard output, \"syslog\" for syslog")
        .letter('l')
        .arg("FILE")
        .to<&LogOutputs::file>(),
    Opt(kLogging, "no-stdout-log", kFlag, "do not copy log lines to standard output")
        .to_not<&LogOutputs::to_stdout>(),
    Opt(kLogging, "syslog", kFlag, "send log lines to syslog").to<&LogOutputs::to_syslog>(),
    Opt(kLogging, "syslog-facility", kString, "syslog facility, e.g. LOCAL0").arg("FACILITY"),
    Opt(kLogging, "simple-log", kFlag,
        "use the log file name as given, without date or process id (for logrotate)")
        .to<&LogOutputs::simple>(),
    Opt(kLogging, "new-log-timestamp", kFlag, "start each log line with an ISO 8601 timestamp"),
    Opt(kLogging, "new-log-timestamp-format", kString,
        "strftime format of that timestamp (needs new-log-timestamp)")
        .def("%FT%T%z")
        .arg("FORMAT"),
    Opt(kLogging, "log-binding", kFlag, "log every Binding request (noisy under attack)"),
};

}  // namespace ferry::config::detail
