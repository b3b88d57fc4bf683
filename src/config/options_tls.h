// Option rows: TLS and DTLS listeners, certificates and protocol versions.
#pragma once

#include "option_builder.h"

namespace ferry::config::detail {

inline constexpr std::string_view kTls = "tls";

inline constexpr OptionSpec kCert =
    Opt(kTls, "cert", kString, "certificate chain, PEM; TURN over TLS runs when it is set")
        .def("turn_server_cert.pem")
        .arg("FILE")
        .to<&tls::TlsSettings::cert_file>();

inline constexpr OptionSpec kPkey =
    Opt(kTls, "pkey", kString, "private key of the certificate, PEM")
        .def("turn_server_pkey.pem")
        .arg("FILE")
        .to<&tls::TlsSettings::key_file>();

inline constexpr OptionSpec kTlsOptions[] = {
    kCert,
    kPkey,
    Opt(kTls, "pkey-pwd", kString, "password of an encrypted private key")
        .arg("PASSWORD")
        .secret()
        .to<&tls::TlsSettings::key_password>(),
    Opt(kTls, "CA-file", kString,
        "CA bundle; when set, clients must present a certificate it signs")
        .arg("FILE"),
    Opt(kTls, "cipher-list", kString, "OpenSSL cipher list for TLS and DTLS up to 1.2")
        .def("DEFAULT")
        .arg("CIPHERS")
        .to<&tls::TlsSettings::cipher_list>(),
    Opt(kTls, "ec-curve-name", kString,
        "key-exchange group(s) for TLS, e.g. prime256v1 or X25519:P-256 (default: OpenSSL's)")
        .arg("CURVE")
        .to<&tls::TlsSettings::groups>(),
    Opt(kTls, "dh-file", kString, "Diffie-Hellman parameters for DHE suites, PEM")
        .arg("FILE")
        .to<&tls::TlsSettings::dh_file>(),
    Opt(kTls, "dh566", kFlag, "use coturn's built-in 566-bit DH group")
        .obsolete("weak built-in DH groups are never used; dh-file loads custom parameters"),
    Opt(kTls, "dh1066", kFlag, "use coturn's built-in 1066-bit DH group")
        .obsolete("weak built-in DH groups are never used; dh-file loads custom parameters"),
    Opt(kTls, "tls-handshake-rate", kInt,
        "TLS handshakes accepted per second per source /24 (IPv4) or /56 (IPv6), bursts of "
        "twice as many, for the server (each relay thread enforces its share); over it a new "
        "TLS connection is closed before its handshake, which costs the server a key exchange "
        "and a signature (0: no limit)")
        .range(0, 1000000)
        .def("50")
        .arg("N")
        .to<&net::ServerSettings::tls_handshake_rate>(),
    Opt(kTls, "no-tls", kFlag,
        "do not start TLS listeners, nor DTLS ones (they read the same certificate; coturn "
        "keeps DTLS)")
        .to_not<&net::ServerSettings::tls>(),
    Opt(kTls, "no-dtls", kFlag, "do not start DTLS listeners").to_not<&net::ServerSettings::dtls>(),
    Opt(kTls, "no-tlsv1", kFlag, "refuse TLS 1.0 and DTLS 1.0")
        .always("TLS 1.0 and DTLS 1.0 are never offered"),
    Opt(kTls, "no-tlsv1_1", kFlag, "refuse TLS 1.1").always("TLS 1.1 is never offered"),
    Opt(kTls, "no-tlsv1_2", kFlag, "refuse TLS 1.2 and DTLS 1.2 (TLS 1.3 only)")
        .to_not<&tls::TlsSettings::tls12>(),
    Opt(kTls, "no-sslv2", kFlag, "refuse SSLv2").always("SSLv2 and SSLv3 are never offered"),
    Opt(kTls, "no-sslv3", kFlag, "refuse SSLv3").always("SSLv2 and SSLv3 are never offered"),
};

}  // namespace ferry::config::detail
