// The server's TLS and DTLS contexts (OpenSSL 3): certificate chain, key, protocol versions
// and ALPN, loaded once at start and shared read-only by every worker (an SSL_CTX may be used
// from several threads to make sessions). TURN over TLS and DTLS is RFC 8656 §3.1 and
// RFC 7350 §4.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
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

// DTLS's stateless cookie (RFC 6347 §4.2.1), asked for by OpenSSL while DTLSv1_listen()
// handles a ClientHello, and again when the session goes on to process it: the network
// layer sets the object that knows each session's source as its app data (SSL_set_app_data).
class DtlsCookies {
 public:
  static constexpr std::size_t kMaxSize = 32;  // DTLS1_COOKIE_LENGTH allows 255
  virtual ~DtlsCookies() = default;
  // Writes the cookie for the source of `ssl` into out[0..kMaxSize); returns its size.
  virtual std::size_t make(SSL* ssl, std::uint8_t* out) = 0;
  virtual bool check(SSL* ssl, const std::uint8_t* cookie, std::size_t size) = 0;
};

class TlsContext {
 public:
  // Reads the certificate and key and checks they match; the failure names the file and
  // OpenSSL's reason. `dtls`: also make the DTLS 1.2 context, from the same files.
  static Expected<std::unique_ptr<TlsContext>> load(const TlsSettings& settings, bool dtls = false);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // A server session for one accepted connection; null when OpenSSL cannot make one.
  SSL* new_session() const { return SSL_new(ctx_); }
  // A DTLS server session (cookie exchange on); null without the DTLS context.
  SSL* new_dtls_session() const { return dtls_ctx_ != nullptr ? SSL_new(dtls_ctx_) : nullptr; }
  bool dtls() const { return dtls_ctx_ != nullptr; }

 private:
  explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
  SSL_CTX* dtls_ctx_ = nullptr;
  std::string password_;  // read by OpenSSL's password callback while the key loads
};

// The TLS context in force, replaced whole when the certificate is reloaded (SIGUSR2, SIGHUP):
// new handshakes take the new one, sessions made before keep theirs (each SSL holds a
// reference to its SSL_CTX, so the old context's OpenSSL state lives as long as they do).
// Shared by the workers; current() is a lock-free-enough atomic load, once per handshake.
class TlsHolder {
 public:
  explicit TlsHolder(std::shared_ptr<const TlsContext> ctx) : ctx_(std::move(ctx)) {}
  std::shared_ptr<const TlsContext> current() const { return ctx_.load(); }
  // Bumped by every replace(): a DTLS listener made from an older context is remade.
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  void replace(std::shared_ptr<const TlsContext> next) {
    ctx_.store(std::move(next));
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }

 private:
  std::atomic<std::shared_ptr<const TlsContext>> ctx_;
  std::atomic<std::uint64_t> generation_{0};
};

}  // namespace ferry::tls
