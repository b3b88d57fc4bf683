// Option rows: what STUN and TURN responses contain and which requests are served.
#pragma once

#include "option_builder.h"

namespace ferry::config::detail {

inline constexpr std::string_view kProtocol = "protocol";

inline constexpr OptionSpec kFingerprint =
    Opt(kProtocol, "fingerprint", kFlag, "add FINGERPRINT to every response")
        .letter('f')
        .to<&turn::Settings::fingerprint>();

inline constexpr OptionSpec kRfc5780 =
    Opt(kProtocol, "rfc5780", kFlag,
        "offer RFC 5780 NAT behaviour discovery over UDP (CHANGE-REQUEST, OTHER-ADDRESS, "
        "RESPONSE-PORT, PADDING): needs two listening-ip of one family, and listens on "
        "alt-listening-port too (coturn offers it whenever it has two addresses)")
        .to<&net::ServerSettings::rfc5780>();

inline constexpr OptionSpec kProtocolOptions[] = {
    kFingerprint,
    Opt(kProtocol, "rfc8656-channel-numbers", kFlag,
        "accept only RFC 8656's channel numbers 0x4000-0x4FFF (by default RFC 5766's "
        "0x4000-0x7FFF, which coturn, pion and libwebrtc accept and clients use)")
        .with(&apply_rfc8656_channel_numbers),
    Opt(kProtocol, "rfc5766-channel-numbers", kFlag,
        "accept RFC 5766 channel numbers 0x4000-0x7FFF (an earlier Ferry option)")
        .always("0x4000-0x7FFF is the default; rfc8656-channel-numbers narrows it"),
    Opt(kProtocol, "no-software-attribute", kFlag, "leave the SOFTWARE attribute out of responses")
        .alias("prod")
        .to_not<&turn::Settings::software>(),
    Opt(kProtocol, "no-stun-backward-compatibility", kFlag,
        "drop RFC 3489 Binding requests and send XOR-MAPPED-ADDRESS only")
        .to_not<&turn::Settings::stun_backward_compatibility>(),
    Opt(kProtocol, "response-origin-only-with-rfc5780", kFlag,
        "send RESPONSE-ORIGIN only when RFC 5780 discovery is offered")
        .to_not<&turn::Settings::response_origin>(),
    kRfc5780,
    Opt(kProtocol, "no-rfc5780", kFlag,
        "never offer RFC 5780 NAT behaviour discovery (smaller Binding responses)")
        .always("Ferry offers RFC 5780 only when 'rfc5780' asks for it"),
    Opt(kProtocol, "stun-only", kFlag, "answer STUN Binding requests only; no TURN").letter('S'),
    Opt(kProtocol, "no-stun", kFlag, "answer TURN requests only; no plain STUN Binding"),
    Opt(kProtocol, "secure-stun", kFlag, "require credentials for Binding requests too"),
    Opt(kProtocol, "mobility", kFlag,
        "RFC 8016 mobility: a UDP or DTLS allocation asked for with MOBILITY-TICKET may follow "
        "its client to a new address (off: such requests are answered 405)")
        .to<&turn::Settings::mobility>(),
    Opt(kProtocol, "sha256", kFlag, "force SHA-256 message integrity")
        .obsolete(
            "SHA-256 integrity is negotiated per RFC 8489 (PASSWORD-ALGORITHMS); nothing to set"),
};

}  // namespace ferry::config::detail
