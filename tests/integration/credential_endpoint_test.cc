// The credential endpoint of a real turnserver on loopback (issue 19): credentials fetched
// over HTTP allocate on the TURN ports with the project's client; the abuse cases over real
// sockets (wrong key, CORS, flood, hostile names, methods, the key kept out of the log, only
// the web listener answers); configuration errors.
#include <gtest/gtest.h>

#include <regex>

#include "client/turn_client.h"
#include "http_client.h"
#include "server_process.h"

namespace ferry::testing {
namespace {

using client::ClientSocket;
using client::TurnClient;

constexpr const char* kKey = "web-key-5f1c2a9e0b7d4c3a8e6f";
constexpr const char* kSecret = "rest-secret-2d9a7c4e1b8f0a3c6e5d";
constexpr const char* kOrigin = "http://127.0.0.1:8123";

// A string field of a flat JSON object ("name":"value", no escapes in what the server mints).
std::string json_field(const std::string& body, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(body, m, std::regex("\"" + name + "\":\"([^\"]*)\""))) return {};
  return m[1];
}

double metric(const std::string& text, const std::string& series) {
  auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

class CredentialEndpoint : public ::testing::Test {
 protected:
  void start(const std::string& extra = "") {
    port_ = free_port();
    web_port_ = free_port();
    server_ = std::make_unique<ServerProcess>(
        "listening-ip=127.0.0.1\nlistening-port=" + std::to_string(port_) +
            "\nrealm=example.org\nstatic-auth-secret=" + kSecret +
            "\nweb-listening-ip=127.0.0.1\nweb-listening-ip=::1\nweb-listening-port=" +
            std::to_string(web_port_) + "\nprometheus\nweb-credential-key=" + kKey +
            "\nweb-credential-origin=" + kOrigin + "\n" + extra,
        stun_address());
    ASSERT_TRUE(server_->ready()) << server_->log();
    ASSERT_TRUE(http_get(web(), "/livez")) << server_->log();
  }
  void TearDown() override {
    if (server_) {
      EXPECT_EQ(server_->stop(), 0) << server_->log();
    }
  }
  Address stun_address() const { return *Address::parse_ip("127.0.0.1", port_); }
  Address web() const { return *Address::parse_ip("127.0.0.1", web_port_); }
  // One request with these extra header lines ("Name: value\r\n" each).
  std::optional<HttpReply> request(const std::string& target, const std::string& headers = "",
                                   const std::string& method = "GET",
                                   std::optional<Address> to = std::nullopt) {
    return http_exchange(to.value_or(web()),
                         method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers +
                             "Connection: close\r\n\r\n",
                         false);
  }
  TurnClient client(Transport t) {
    std::string err;
    auto s = ClientSocket::open(t, stun_address(), &err);
    EXPECT_TRUE(s) << err;
    return TurnClient(std::move(*s));
  }
  std::string metrics() {
    auto r = http_get(web(), "/metrics");
    return r ? r->body : std::string();
  }

  std::uint16_t port_ = 0;
  std::uint16_t web_port_ = 0;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(CredentialEndpoint, FetchedCredentialsAllocateOverUdpAndTcp) {
  start();
  auto r = request(std::string("/turn?username=alice&key=") + kKey);
  ASSERT_TRUE(r) << server_->log();
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->headers["content-type"], "application/json");
  EXPECT_EQ(r->headers["cache-control"], "no-store");
  EXPECT_EQ(r->headers["vary"], "Origin");
  const std::string hp = "127.0.0.1:" + std::to_string(port_);
  EXPECT_NE(r->body.find("\"uris\":[\"turn:" + hp + "?transport=udp\",\"turn:" + hp +
                         "?transport=tcp\"]"),
            std::string::npos)
      << r->body;
  EXPECT_NE(r->body.find("\"ttl\":86400"), std::string::npos);
  const std::string user = json_field(r->body, "username");
  const std::string password = json_field(r->body, "password");
  EXPECT_TRUE(std::regex_match(user, std::regex("[0-9]+:alice"))) << user;
  auto udp = client(Transport::kUdp);
  EXPECT_TRUE(udp.allocate(user, password, 600).ok);
  auto tcp = client(Transport::kTcp);
  EXPECT_TRUE(tcp.allocate(user, password, 600).ok);
  auto wrong = client(Transport::kUdp);
  EXPECT_EQ(wrong.allocate(user, password + "x", 600).error_code, 401);

  // The RTCConfiguration shape, with the key in a header and a random user part.
  auto ice = request("/ice-servers", std::string("Authorization: Bearer ") + kKey + "\r\n");
  ASSERT_TRUE(ice);
  ASSERT_EQ(ice->status, 200) << ice->body;
  EXPECT_EQ(ice->body.rfind("{\"iceServers\":[{\"urls\":[\"stun:" + hp + "\"]},{\"urls\":[", 0), 0u)
      << ice->body;
  const std::string user2 = json_field(ice->body, "username");
  EXPECT_TRUE(std::regex_match(user2, std::regex("[0-9]+:[0-9a-f]{16}"))) << user2;
  auto c = client(Transport::kUdp);
  EXPECT_TRUE(c.allocate(user2, json_field(ice->body, "credential"), 600).ok);

  const std::string m = metrics();
  EXPECT_EQ(metric(m, "ferry_credentials_issued_total{via=\"api\"}"), 2) << m;
}

TEST_F(CredentialEndpoint, AbuseIsRefusedAndCounted) {
  start();
  // Wrong and missing key: 401, nothing minted.
  for (const char* target : {"/turn?username=alice", "/turn?key=nope", "/ice-servers"}) {
    auto r = request(target);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << target;
    EXPECT_EQ(r->body.find("password"), std::string::npos);
  }
  // A disallowed Origin: 403 and no CORS header; its preflight too.
  auto evil = request(std::string("/turn?key=") + kKey, "Origin: https://evil.example\r\n");
  ASSERT_TRUE(evil);
  EXPECT_EQ(evil->status, 403);
  EXPECT_EQ(evil->headers.count("access-control-allow-origin"), 0u);
  EXPECT_EQ(evil->body.find("password"), std::string::npos);
  auto evil_pre =
      request("/ice-servers",
              "Origin: https://evil.example\r\nAccess-Control-Request-Method: GET\r\n", "OPTIONS");
  ASSERT_TRUE(evil_pre);
  EXPECT_EQ(evil_pre->status, 403);
  EXPECT_EQ(evil_pre->headers.count("access-control-allow-origin"), 0u);
  // The allowed one's preflight is answered.
  auto pre = request("/ice-servers",
                     std::string("Origin: ") + kOrigin +
                         "\r\nAccess-Control-Request-Method: GET\r\n"
                         "Access-Control-Request-Headers: authorization\r\n",
                     "OPTIONS");
  ASSERT_TRUE(pre);
  EXPECT_EQ(pre->status, 204);
  EXPECT_EQ(pre->headers["access-control-allow-origin"], kOrigin);
  EXPECT_EQ(pre->headers["access-control-allow-headers"], "Authorization");
  // Other methods.
  auto post = http_exchange(web(),
                            std::string("POST /turn?key=") + kKey +
                                " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: "
                                "close\r\n\r\n",
                            false);
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(post->headers["allow"], "GET, OPTIONS");
  // Hostile names: control bytes, the separator, 10 KB (evhttp's own header bound may refuse
  // that one first: either way no credential, and the listener stays up).
  for (const std::string& name : {std::string("a%00b"), std::string("a%0d%0aSet-Cookie:x"),
                                  std::string("1:2"), std::string(10240, 'a')}) {
    auto r = request("/turn?username=" + name + "&key=" + kKey);
    EXPECT_TRUE(!r || (r->status >= 400 && r->status < 500)) << r->status;
    if (r) {
      EXPECT_EQ(r->body.find("password"), std::string::npos);
    }
  }
  const std::string m = metrics();
  EXPECT_EQ(metric(m, "ferry_credentials_refused_total{reason=\"bad_key\"}"), 3) << m;
  EXPECT_EQ(metric(m, "ferry_credentials_refused_total{reason=\"origin\"}"), 2) << m;
  EXPECT_EQ(metric(m, "ferry_credentials_refused_total{reason=\"method\"}"), 1) << m;
  EXPECT_GE(metric(m, "ferry_credentials_refused_total{reason=\"bad_request\"}"), 3) << m;
  EXPECT_EQ(metric(m, "ferry_credentials_issued_total{via=\"api\"}"), 0) << m;
  EXPECT_EQ(http_get(web(), "/livez")->status, 200);
}

TEST_F(CredentialEndpoint, AFloodFromOneAddressIsLimitedOthersAreNot) {
  start("web-credential-rate=2\n");  // burst 4
  const std::string target = std::string("/turn?key=") + kKey;
  int ok = 0, limited = 0;
  for (int i = 0; i < 20; ++i) {
    auto r = request(target);
    ASSERT_TRUE(r);
    if (r->status == 200) ++ok;
    if (r->status == 429) ++limited;
  }
  // The budget refills at 2/s while the loop runs: a slow machine may earn one or two more.
  EXPECT_GE(ok, 4);
  EXPECT_LE(ok, 8);
  EXPECT_EQ(ok + limited, 20);
  // Another source (::1, a prefix of its own) is unaffected.
  auto other = request(target, "", "GET", *Address::parse_ip("::1", web_port_));
  if (!other) GTEST_SKIP() << "no ::1 on this host";
  EXPECT_EQ(other->status, 200) << other->body;
  EXPECT_EQ(metric(metrics(), "ferry_credentials_refused_total{reason=\"rate_limited\"}"), limited);
}

TEST_F(CredentialEndpoint, TheKeyNeverReachesTheLog) {
  start("Verbose\n");
  ASSERT_EQ(request(std::string("/turn?username=bob&key=") + kKey)->status, 200);
  ASSERT_EQ(request("/turn?key=wrong-key-guess-0000")->status, 401);
  ASSERT_EQ(request("/turn", std::string("Authorization: Bearer ") + kKey + "\r\n")->status, 200);
  const std::string log = server_->log();
  EXPECT_NE(log.find("credential endpoint on http://127.0.0.1:" + std::to_string(web_port_)),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find(kKey), std::string::npos) << log;
  EXPECT_EQ(log.find("wrong-key-guess"), std::string::npos) << log;
  EXPECT_EQ(log.find(kSecret), std::string::npos) << log;
}

TEST_F(CredentialEndpoint, OnlyTheWebListenerAnswers) {
  start();
  // The same request to the TURN port over TCP: no HTTP answer, certainly no credential.
  auto r = http_exchange(stun_address(),
                         std::string("GET /turn?key=") + kKey +
                             " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                         false, Millis(1000));
  EXPECT_FALSE(r && r->status == 200);
  if (r) {
    EXPECT_EQ(r->body.find("password"), std::string::npos);
  }
  EXPECT_EQ(request(std::string("/turn?key=") + kKey)->status, 200);  // the web port does
}

TEST_F(CredentialEndpoint, TestPageCredentialsForThisHostOnly) {
  start("web-test-credentials\n");
  auto config = request("/config.json");
  ASSERT_TRUE(config);
  EXPECT_NE(config->body.find("\"testCredentials\":true"), std::string::npos) << config->body;
  auto c = client(Transport::kUdp);
  EXPECT_TRUE(
      c.allocate(json_field(config->body, "username"), json_field(config->body, "password"), 600)
          .ok);
  // Through a reverse proxy on this host: no credentials.
  auto proxied = request("/config.json", "X-Forwarded-For: 203.0.113.7\r\n");
  ASSERT_TRUE(proxied);
  EXPECT_NE(proxied->body.find("\"testCredentials\":false"), std::string::npos) << proxied->body;
  EXPECT_EQ(proxied->body.find("password"), std::string::npos);
  const std::string m = metrics();
  EXPECT_EQ(metric(m, "ferry_credentials_issued_total{via=\"test_page\"}"), 1) << m;
  EXPECT_EQ(metric(m, "ferry_credentials_refused_total{reason=\"not_admin\"}"), 1) << m;
}

TEST(CredentialEndpointConfig, WithoutARestSecretItIsAConfigError) {
  for (const std::string& option :
       {std::string("--web-credential-key=") + kKey, std::string("--web-test-credentials")}) {
    auto r = run_program({turnserver_path(), "-n", "--check-config", option});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("needs 'static-auth-secret'"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(option.substr(2, option.find('=') - 2)), std::string::npos) << r.output;
  }
}

TEST(CredentialEndpointConfig, CheckConfigNeverPrintsTheKey) {
  auto r = run_program({turnserver_path(), "-n", "--check-config",
                        std::string("--static-auth-secret=") + kSecret,
                        std::string("--web-credential-key=") + kKey,
                        std::string("--web-credential-origin=") + kOrigin});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find(kKey), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("web-credential-origin"), std::string::npos) << r.output;
}

TEST(CredentialEndpointConfig, AnOriginWithAPathIsAConfigError) {
  auto r = run_program({turnserver_path(), "-n", "--check-config",
                        std::string("--static-auth-secret=") + kSecret,
                        std::string("--web-credential-key=") + kKey,
                        "--web-credential-origin=https://app.example.org/"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("no trailing '/'"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace ferry::testing
