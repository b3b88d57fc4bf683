// The TURN REST API over real sockets, driven by the project's client with credentials minted
// the way a web service mints them (base64(HMAC-SHA1(secret, "<expiry>:<user>"))): both name
// forms, expiry, quotas per credential, `user` lines ignored in REST mode, and the refusals
// counted where an operator looks (/metrics). coturn's and pion's own REST clients are in
// turn_interop_test.cc and pion_interop_test.cc.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "client/turn_client.h"
#include "ferry/auth/rest_secrets.h"
#include "http_client.h"
#include "loopback_server_test.h"
#include "server_process.h"

namespace ferry::testing {
namespace {

constexpr const char* kSecret = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class RestTest : public LoopbackServerTest {
 protected:
  void start(const std::string& extra = "") {
    web_port_ = free_port();
    launch([&](std::uint16_t port) {
      return "listening-ip=127.0.0.1\nlistening-port=" + std::to_string(port) +
             "\nrelay-ip=127.0.0.1\nmin-port=46000\nmax-port=46999\nrealm=example.org\n"
             "use-auth-secret\nstatic-auth-secret=" +
             std::string(kSecret) +
             "\nprometheus\nweb-listening-port=" + std::to_string(web_port_) + "\n" + extra;
    });
  }
  // The credential a web service would hand a browser: `name` with its REST password.
  static std::pair<std::string, std::string> minted(const std::string& name) {
    return {name, auth::rest_password(kSecret, name)};
  }
  client::AllocateResult allocate(Transport t, const std::pair<std::string, std::string>& cred) {
    auto c = client(t);
    return c.allocate(cred.first, cred.second, 600);
  }
  std::string metrics() {
    auto r = http_get(*Address::parse_ip("127.0.0.1", web_port_), "/metrics");
    return r ? r->body : std::string();
  }
  std::uint16_t web_port_ = 0;
};

TEST_F(RestTest, BothUsernameFormsAllocateOverUdpAndTcp) {
  start();
  const std::string later = std::to_string(unix_now() + 3600);
  for (Transport t : {Transport::kUdp, Transport::kTcp}) {
    auto expiry_first = allocate(t, minted(later + ":alice"));
    EXPECT_TRUE(expiry_first.ok) << expiry_first.error_code << " " << expiry_first.reason;
    auto user_first = allocate(t, minted("alice:" + later));
    EXPECT_TRUE(user_first.ok) << user_first.error_code << " " << user_first.reason;
  }
}

TEST_F(RestTest, AnExpiredCredentialIs401AndCountedAsExpired) {
  start();
  auto expired = allocate(Transport::kUdp, minted(std::to_string(unix_now() - 5) + ":alice"));
  EXPECT_EQ(expired.error_code, 401);
  auto forged = allocate(
      Transport::kUdp, {std::to_string(unix_now() + 3600) + ":alice", "bm90IHRoZSBwYXNzd29yZA=="});
  EXPECT_EQ(forged.error_code, 401);
  const std::string m = metrics();
  EXPECT_NE(m.find("ferry_auth_failures_total{reason=\"expired\"} 1"), std::string::npos) << m;
  EXPECT_NE(m.find("ferry_auth_failures_total{reason=\"bad_integrity\"} 1"), std::string::npos)
      << m;
}

// coturn's meaning: in REST mode the `user` lines are not credentials (the server warned at
// start).
TEST_F(RestTest, UserAccountsAreNotValidInRestMode) {
  start("user=alice:secret\n");
  auto a = allocate(Transport::kUdp, {"alice", "secret"});
  EXPECT_EQ(a.error_code, 401);
  EXPECT_NE(server_->log().find("'user' accounts are not used"), std::string::npos)
      << server_->log();
}

// user-quota counts per REST user name (what the credential names), as for any user.
TEST_F(RestTest, UserQuotaAppliesToARestCredential) {
  start("user-quota=1\n");
  const auto cred = minted(std::to_string(unix_now() + 3600) + ":alice");
  auto first = client(Transport::kUdp);
  ASSERT_TRUE(first.allocate(cred.first, cred.second, 600).ok);
  EXPECT_EQ(allocate(Transport::kUdp, cred).error_code, 486);
  EXPECT_TRUE(allocate(Transport::kUdp, minted(std::to_string(unix_now() + 3600) + ":bob")).ok);
}

}  // namespace
}  // namespace ferry::testing
