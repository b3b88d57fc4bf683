// The TLS options reach OpenSSL, seen from a real OpenSSL client over loopback: the protocol
// versions offered (TLS 1.2 and 1.3; no-tlsv1_2 leaves 1.3 alone; 1.0 and 1.1 never),
// cipher-list for TLS 1.2 suites, and an encrypted private key opened with pkey-pwd (a wrong
// password stops the start and says which key).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>

#include "server_process.h"
#include "tls_server_test.h"

namespace ferry::testing {
namespace {

// What a handshake with the server negotiated.
struct Handshake {
  bool ok = false;
  std::string version;  // "TLSv1.3"
  std::string cipher;
};

// One TLS handshake to 127.0.0.1:`port` from a client limited to `min`..`max` versions and,
// when given, to the TLS 1.2 `ciphers`. Its security level is 0 so that the client itself
// offers TLS 1.0/1.1 when asked to: whatever is refused, the server refused.
Handshake handshake(std::uint16_t port, int min, int max, const char* ciphers = nullptr) {
  Handshake h;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                        &SSL_CTX_free);
  SSL_CTX_set_security_level(ctx.get(), 0);
  SSL_CTX_set_min_proto_version(ctx.get(), min);
  SSL_CTX_set_max_proto_version(ctx.get(), max);
  if (ciphers != nullptr) SSL_CTX_set_cipher_list(ctx.get(), ciphers);
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) {
    std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), &SSL_free);
    SSL_set_fd(ssl.get(), fd);
    if (SSL_connect(ssl.get()) == 1) {
      h.ok = true;
      h.version = SSL_get_version(ssl.get());
      h.cipher = SSL_get_cipher_name(ssl.get());
      SSL_shutdown(ssl.get());
    }
  }
  ERR_clear_error();
  close(fd);
  return h;
}

class TlsOptionsTest : public TlsServerTest {
 protected:
  std::string config(const std::string& extra) const {
    return "listening-ip=127.0.0.1\nlistening-port=" + std::to_string(port_) +
           "\ntls-listening-port=" + std::to_string(tls_port_) + "\ncert=" + cert_ +
           "\nrealm=example.org\nuser=alice:secret\n" + extra;
  }
  void start(const std::string& extra = "", const std::string& pkey = "") {
    server_ = std::make_unique<ServerProcess>(
        config(extra + "pkey=" + (pkey.empty() ? key_ : pkey) + "\n"),
        *Address::parse_ip("127.0.0.1", port_));
    ASSERT_TRUE(server_->ready()) << server_->log();
  }
};

TEST_F(TlsOptionsTest, Tls12And13AreOfferedAndOlderVersionsNever) {
  start();
  EXPECT_EQ(handshake(tls_port_, TLS1_VERSION, TLS1_3_VERSION).version, "TLSv1.3");
  EXPECT_EQ(handshake(tls_port_, TLS1_VERSION, TLS1_2_VERSION).version, "TLSv1.2");
  EXPECT_FALSE(handshake(tls_port_, TLS1_1_VERSION, TLS1_1_VERSION).ok);
  EXPECT_FALSE(handshake(tls_port_, TLS1_VERSION, TLS1_VERSION).ok);
}

TEST_F(TlsOptionsTest, NoTlsv1_2LeavesTls13Only) {
  start("no-tlsv1_2\n");
  EXPECT_EQ(handshake(tls_port_, TLS1_VERSION, TLS1_3_VERSION).version, "TLSv1.3");
  EXPECT_FALSE(handshake(tls_port_, TLS1_VERSION, TLS1_2_VERSION).ok);
}

// cipher-list governs TLS 1.2 (TLS 1.3's suites are OpenSSL's own); the test certificate is
// ECDSA.
TEST_F(TlsOptionsTest, CipherListLimitsTls12Suites) {
  start("cipher-list=ECDHE-ECDSA-AES128-GCM-SHA256\n");
  const Handshake allowed =
      handshake(tls_port_, TLS1_2_VERSION, TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256");
  EXPECT_TRUE(allowed.ok);
  EXPECT_EQ(allowed.cipher, "ECDHE-ECDSA-AES128-GCM-SHA256");
  EXPECT_FALSE(
      handshake(tls_port_, TLS1_2_VERSION, TLS1_2_VERSION, "ECDHE-ECDSA-CHACHA20-POLY1305").ok);
}

TEST_F(TlsOptionsTest, AnEncryptedKeyOpensWithPkeyPwd) {
  const std::string encrypted = dir_.path() + "/encrypted.key";
  auto made = run_program({"/usr/bin/openssl", "pkey", "-in", key_, "-aes256", "-passout",
                           "pass:c0rrect horse", "-out", encrypted});
  ASSERT_EQ(made.exit_code, 0) << made.output;
  start("pkey-pwd=c0rrect horse\n", encrypted);
  EXPECT_TRUE(handshake(tls_port_, TLS1_2_VERSION, TLS1_3_VERSION).ok);
  // A wrong password stops the start, naming the key.
  auto wrong =
      run_program({turnserver_path(), "--check-config", "-c",
                   dir_.write("wrong.conf", config("pkey=" + encrypted + "\npkey-pwd=wrong\n"))});
  EXPECT_NE(wrong.exit_code, 0) << wrong.output;
  EXPECT_NE(wrong.output.find(encrypted), std::string::npos) << wrong.output;
}

}  // namespace
}  // namespace ferry::testing
