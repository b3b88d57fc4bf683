// The server's TLS context (OpenSSL 3): certificate chain, key, protocol versions and ALPN,
// loaded once at start and shared read-only by every worker (an SSL_CTX may be used from
// several threads to make sessions). TURN over TLS is RFC 8656 §3.1 and RFC 7350 §4.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "ferry/common/expected.h"

namespace ferry::tls {

struct TlsSettings {
  std::string cert_file = "turn_server_cert.pem";  // cert: the chain, leaf first, PEM
  std::string key_file = "turn_server_pkey.pem";   // pkey
  std::string key_password;                        // pkey-pwd, for an encrypted key
  std::string cipher_list = "DEFAULT";             // cipher-list: TLS 1.2 suites
  std::string groups;   // ec-curve-name: key-exchange groups ("prime256v1", "X25519:P-256")
  std::string dh_file;  // dh-file: DH parameters for DHE suites, PEM
  bool tls12 = true;    // off: no-tlsv1_2, TLS 1.3 only
  bool operator==(const TlsSettings&) const = default;
};

class TlsContext {
 public:
  // Reads the certificate and key and checks they match; the failure names the file and
  // OpenSSL's reason.
  static Expected<std::unique_ptr<TlsContext>> load(const TlsSettings& settings);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // A server session for one accepted connection; null when OpenSSL cannot make one.
  SSL* new_session() const { return SSL_new(ctx_); }

 private:
  explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
  std::string password_;  // read by OpenSSL's password callback while the key loads
};

}  // namespace ferry::tls
