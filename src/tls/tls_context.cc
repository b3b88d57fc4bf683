#include "ferry/tls/tls_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <cstring>
#include <string_view>

namespace ferry::tls {
namespace {

std::string ssl_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

// RFC 7443: "stun.turn" is TURN's ALPN identifier. A client that offers it gets it; one that
// offers only others gets no ALPN (not a failed handshake: browsers offer none for TURN).
int select_alpn(SSL* /*ssl*/, const unsigned char** out, unsigned char* outlen,
                const unsigned char* in, unsigned int inlen, void* /*arg*/) {
  static constexpr std::string_view kTurn = "stun.turn";
  for (unsigned int i = 0; i < inlen;) {
    const unsigned int len = in[i];
    if (i + 1 + len > inlen) break;  // malformed list
    if (len == kTurn.size() && std::memcmp(in + i + 1, kTurn.data(), len) == 0) {
      *out = in + i + 1;
      *outlen = static_cast<unsigned char>(len);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + len;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

int key_password(char* buf, int size, int /*rwflag*/, void* userdata) {
  const auto* password = static_cast<const std::string*>(userdata);
  const int n = static_cast<int>(password->size());
  if (n >= size) return 0;
  std::memcpy(buf, password->data(), static_cast<std::size_t>(n));
  return n;
}

// What the TLS and the DTLS context share: ciphers, groups, DH, the certificate and key,
// ALPN. An error names the file and OpenSSL's reason.
Expected<void> configure(SSL_CTX* raw, const TlsSettings& s, std::string* password) {
  // No renegotiation (a client-driven CPU cost, CVE-2011-1473); no compression (CRIME).
  SSL_CTX_set_options(
      raw, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Idle connections keep no read/write buffers: a TURN control connection is mostly idle,
  // and thousands of them would otherwise hold 34 KiB each.
  SSL_CTX_set_mode(raw, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_set_cipher_list(raw, s.cipher_list.c_str()) != 1) {
    return fail("TLS cipher list '" + s.cipher_list + "': " + ssl_error());
  }
  // ec-curve-name: coturn's one curve; OpenSSL takes a list, so "X25519:P-256" works too.
  if (!s.groups.empty() && SSL_CTX_set1_groups_list(raw, s.groups.c_str()) != 1) {
    return fail("TLS curve '" + s.groups + "': " + ssl_error());
  }
  if (!s.dh_file.empty()) {
    BIO* bio = BIO_new_file(s.dh_file.c_str(), "r");
    EVP_PKEY* dh = bio != nullptr ? PEM_read_bio_Parameters(bio, nullptr) : nullptr;
    if (bio != nullptr) BIO_free(bio);
    // set0 takes ownership on success only.
    if (dh == nullptr || SSL_CTX_set0_tmp_dh_pkey(raw, dh) != 1) {
      if (dh != nullptr) EVP_PKEY_free(dh);
      return fail("TLS DH parameters " + s.dh_file + ": " + ssl_error());
    }
  }
  *password = s.key_password;
  SSL_CTX_set_default_passwd_cb(raw, &key_password);
  SSL_CTX_set_default_passwd_cb_userdata(raw, password);
  if (SSL_CTX_use_certificate_chain_file(raw, s.cert_file.c_str()) != 1) {
    return fail("TLS certificate " + s.cert_file + ": " + ssl_error());
  }
  if (SSL_CTX_use_PrivateKey_file(raw, s.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return fail("TLS private key " + s.key_file + ": " + ssl_error());
  }
  if (SSL_CTX_check_private_key(raw) != 1) {
    return fail("TLS private key " + s.key_file + " does not match the certificate " + s.cert_file +
                ": " + ssl_error());
  }
  SSL_CTX_set_alpn_select_cb(raw, &select_alpn, nullptr);
  return {};
}

int generate_cookie(SSL* ssl, unsigned char* cookie, unsigned int* len) {
  auto* cookies = static_cast<DtlsCookies*>(SSL_get_app_data(ssl));
  if (cookies == nullptr) return 0;
  *len = static_cast<unsigned int>(cookies->make(ssl, cookie));
  return 1;
}

int verify_cookie(SSL* ssl, const unsigned char* cookie, unsigned int len) {
  auto* cookies = static_cast<DtlsCookies*>(SSL_get_app_data(ssl));
  return cookies != nullptr && cookies->check(ssl, cookie, len) ? 1 : 0;
}

}  // namespace

Expected<std::unique_ptr<TlsContext>> TlsContext::load(const TlsSettings& s, bool dtls) {
  SSL_CTX* raw = SSL_CTX_new(TLS_server_method());
  if (raw == nullptr) return fail("TLS: " + ssl_error());
  std::unique_ptr<TlsContext> ctx(new TlsContext(raw));
  // TLS 1.0 and 1.1 are never offered (RFC 8996); no-tlsv1_2 leaves TLS 1.3 alone.
  SSL_CTX_set_min_proto_version(raw, s.tls12 ? TLS1_2_VERSION : TLS1_3_VERSION);
  if (auto ok = configure(raw, s, &ctx->password_); !ok) return std::move(ok).failure();
  if (!dtls) return ctx;
  // DTLS 1.2 only (RFC 8996 retires DTLS 1.0; OpenSSL 3.0 has no DTLS 1.3). no-tlsv1_2
  // leaves no DTLS version: the caller does not ask for DTLS then.
  ctx->dtls_ctx_ = SSL_CTX_new(DTLS_server_method());
  if (ctx->dtls_ctx_ == nullptr) return fail("DTLS: " + ssl_error());
  SSL_CTX_set_min_proto_version(ctx->dtls_ctx_, DTLS1_2_VERSION);
  if (auto ok = configure(ctx->dtls_ctx_, s, &ctx->password_); !ok) {
    return std::move(ok).failure();
  }
  // AEAD suites only (AES-GCM, ChaCha20-Poly1305): with CBC, OpenSSL ends a DTLS session on any
  // record whose MAC fails, so one spoofed datagram would end someone's session. The operator's
  // list, less the CBC (SHA-1/SHA-2 MAC) and CCM suites.
  const std::string aead = s.cipher_list + ":!SHA1:!SHA256:!SHA384:!AESCCM";
  if (SSL_CTX_set_cipher_list(ctx->dtls_ctx_, aead.c_str()) != 1) {
    return fail("DTLS: cipher-list '" + s.cipher_list +
                "' leaves no AEAD suite (AES-GCM or ChaCha20-Poly1305) for DTLS: " + ssl_error());
  }
  // RFC 6347 §4.2.1: a ClientHello is answered with a HelloVerifyRequest carrying a cookie,
  // and nothing is kept until the client echoes it from its address.
  SSL_CTX_set_options(ctx->dtls_ctx_, SSL_OP_COOKIE_EXCHANGE);
  SSL_CTX_set_cookie_generate_cb(ctx->dtls_ctx_, &generate_cookie);
  SSL_CTX_set_cookie_verify_cb(ctx->dtls_ctx_, &verify_cookie);
  return ctx;
}

TlsContext::~TlsContext() {
  SSL_CTX_free(ctx_);
  if (dtls_ctx_ != nullptr) SSL_CTX_free(dtls_ctx_);
}

}  // namespace ferry::tls
