// Interop with an independent TURN client: pion/turn v2 (Go, Debian's
// golang-github-pion-turn.v2-dev), built by CMake as ferry-pion-client from
// tests/interop/pion_client. Over UDP, TCP and TLS it authenticates, allocates, permits a UDP
// echo peer (tools/udp_echo_peer.cc) and relays messages that must come back byte for byte;
// pion binds a channel after the first Send indication, and the client checks that
// ChannelData flowed both ways.
#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "server_process.h"

namespace ferry::testing {
namespace {

class PionInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(FERRY_PION_CLIENT, X_OK) != 0) {
      GTEST_SKIP() << "ferry-pion-client was not built: it needs the Debian packages golang-go "
                      "and golang-github-pion-turn.v2-dev (tools/dev setup installs them; then "
                      "re-run cmake)";
    }
    if (access("/usr/bin/openssl", X_OK) != 0) GTEST_SKIP() << "needs /usr/bin/openssl";
    std::string log;
    auto cert = make_test_certificate(dir_, &log);
    ASSERT_TRUE(cert) << log;
    cert_ = cert->cert;
    server_ = std::make_unique<ServerProcess>(
        "listening-ip=127.0.0.1\nlistening-port=" + std::to_string(port_) +
            "\ntls-listening-port=" + std::to_string(tls_port_) + "\ncert=" + cert->cert +
            "\npkey=" + cert->key +
            "\nrelay-ip=127.0.0.1\nmin-port=45000\nmax-port=45999\nrealm=example.org\n" +
            credentials() + "allow-loopback-peers\nrelay-threads=2\n",
        *Address::parse_ip("127.0.0.1", port_));
    ASSERT_TRUE(server_->ready()) << server_->log();
    peer_ = std::make_unique<ChildProcess>(std::vector<std::string>{
        FERRY_UDP_PEER, "-L", "127.0.0.1", "-p", std::to_string(peer_port_), "--seconds", "120"});
    // The peer prints "listening on" once its socket is bound.
    for (int i = 0; i < 200 && peer_->output().find("listening on") == std::string::npos; ++i) {
      std::this_thread::sleep_for(Millis(10));
    }
    ASSERT_NE(peer_->output().find("listening on"), std::string::npos) << peer_->output();
  }
  void TearDown() override {
    if (server_) {
      EXPECT_EQ(server_->stop(), 0) << server_->log();
    }
  }
  // The configuration lines that give the server its credentials.
  virtual std::string credentials() const { return "user=alice:secret\n"; }

  RunResult pion(const std::string& transport, const std::string& password = "secret",
                 const std::string& server_name = "localhost",
                 const std::vector<std::string>& extra = {}) {
    const bool tls = transport == "tls";
    std::vector<std::string> argv{FERRY_PION_CLIENT,
                                  "-transport",
                                  transport,
                                  "-server",
                                  "127.0.0.1:" + std::to_string(tls ? tls_port_ : port_),
                                  "-user",
                                  "alice",
                                  "-password",
                                  password,
                                  "-peer",
                                  "127.0.0.1:" + std::to_string(peer_port_),
                                  "-count",
                                  "40",
                                  "-timeout",
                                  "25s"};
    if (tls) argv.insert(argv.end(), {"-ca", cert_, "-server-name", server_name});
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_program(argv, Millis(40000));
  }

  static void expect_relayed(const RunResult& r, const std::string& transport) {
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("OK transport=" + transport + " relayed=127.0.0.1:"), std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find("echoed=40/40"), std::string::npos) << r.output;
  }

  TempDir dir_;
  std::string cert_;
  std::uint16_t port_ = free_port();
  std::uint16_t tls_port_ = free_port();
  std::uint16_t peer_port_ = free_port();
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<ChildProcess> peer_;
};

TEST_F(PionInteropTest, RelaysOverUdpThroughChannels) {
  expect_relayed(pion("udp"), "udp");
}

TEST_F(PionInteropTest, RelaysOverTcpThroughChannels) {
  expect_relayed(pion("tcp"), "tcp");
}

// turns: with the test's certificate as the client's only root and the host name checked
// (no verification skipped); the server picks ALPN stun.turn (RFC 7443).
TEST_F(PionInteropTest, RelaysOverTlsThroughChannels) {
  auto r = pion("tls");
  expect_relayed(r, "tls");
  EXPECT_NE(r.output.find("alpn \"stun.turn\""), std::string::npos) << r.output;
}

TEST_F(PionInteropTest, WrongPasswordCannotAllocate) {
  for (const char* transport : {"udp", "tls"}) {
    auto r = pion(transport, "wrong");
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("FAIL: " + std::string(transport) + ": allocate"), std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find("error 401"), std::string::npos) << r.output;
  }
}

// The client really verifies: a certificate that does not name the host it dialled is refused
// before any TURN message is sent.
TEST_F(PionInteropTest, TlsClientRefusesCertificateForAnotherName) {
  auto r = pion("tls", "secret", "turn.example.org");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("TLS handshake"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("allocated"), std::string::npos) << r.output;
}

// The TURN REST API with pion's own implementation of it (turn.GenerateLongTermCredentials:
// a bare expiry as the user name), so the password formula is checked against an independent
// one. The two secrets are both valid (rotation).
class PionRestInteropTest : public PionInteropTest {
 protected:
  std::string credentials() const override {
    return "static-auth-secret=" + std::string(kOld) + "\nstatic-auth-secret=" + kNew + "\n";
  }
  RunResult pion_rest(const std::string& transport, const std::string& secret,
                      const std::string& ttl = "1h") {
    return pion(transport, "-", "localhost", {"-rest-secret", secret, "-rest-ttl", ttl});
  }
  static constexpr const char* kOld = "c0ffee0c0ffee0c0ffee0c0ffee0c0ffee0c0ffee";
  static constexpr const char* kNew = "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed";
};

TEST_F(PionRestInteropTest, MintedCredentialsRelayWithEitherSecret) {
  expect_relayed(pion_rest("udp", kOld), "udp");
  expect_relayed(pion_rest("tls", kNew), "tls");
}

TEST_F(PionRestInteropTest, ExpiredOrForeignCredentialsCannotAllocate) {
  for (const auto& [secret, ttl] : {std::pair<std::string, std::string>{kNew, "-10s"},
                                    {"not-the-secret-not-the-secret", "1h"}}) {
    auto r = pion_rest("udp", secret, ttl);
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("error 401"), std::string::npos) << r.output;
  }
}

}  // namespace
}  // namespace ferry::testing
