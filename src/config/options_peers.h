// Option rows: which peer addresses a relay may talk to.
#pragma once

#include "option_builder.h"

namespace ferry::config::detail {

inline constexpr std::string_view kPeers = "peers";

inline constexpr OptionSpec kAllowLoopbackPeers =
    Opt(kPeers, "allow-loopback-peers", kFlag, "allow peers on 127.0.0.0/8 and ::1 (testing only)")
        .to<&turn::PeerPolicySettings::allow_loopback>();

inline constexpr OptionSpec kNoLoopbackPeers =
    Opt(kPeers, "no-loopback-peers", kFlag, "refuse loopback peers")
        .always("loopback peers are refused by default; allow-loopback-peers opts in");

inline constexpr OptionSpec kPeersOptions[] = {
    Opt(kPeers, "allowed-peer-ip", kList,
        "peer address, range (a-b) or CIDR allowed even when denied otherwise")
        .arg("IP[-IP]")
        .to<&turn::PeerPolicySettings::allowed>(),
    Opt(kPeers, "denied-peer-ip", kList, "peer address, range (a-b) or CIDR to refuse")
        .arg("IP[-IP]")
        .to<&turn::PeerPolicySettings::denied>(),
    kAllowLoopbackPeers,
    Opt(kPeers, "no-dynamic-ip-list", kFlag,
        "do not read allowed/denied peer lists from the database")
        .always("Ferry reads the peer lists from its configuration only"),
    Opt(kPeers, "no-multicast-peers", kFlag, "refuse multicast and broadcast peers")
        .always(
            "multicast and broadcast peers are always refused; allowed-peer-ip can open a range"),
    kNoLoopbackPeers,
};

}  // namespace ferry::config::detail
