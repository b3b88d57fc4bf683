// GET /turn and /ice-servers through the router, without sockets: the key, CORS, the rate
// limit, parameter checks, counting, and the test page's own credentials (web-test-credentials).
// Each abuse case of the endpoint has a test here; http_test.cc repeats the main ones over
// real sockets.
#include <gtest/gtest.h>

#include "ferry/auth/rest_secrets.h"
#include "ferry/http/router.h"

namespace ferry::http {
namespace {

constexpr const char* kKey = "endpoint-key-0123456789abcdef";
constexpr const char* kSecret = "rest-secret-0123456789abcdef";
constexpr std::int64_t kNow = 1700000000;

Address ip(const char* text, std::uint16_t port = 40000) {
  return *Address::parse_ip(text, port);
}

class CredentialEndpointTest : public ::testing::Test {
 protected:
  CredentialEndpointTest() {
    settings.credential_keys = {kKey};
    settings.credential_origins = {"https://app.example.org"};
    settings.credential_ttl = 86400;
    settings.credential_rate = 5;  // burst 10
    settings.mint_secret = kSecret;
  }
  Router make() {
    PageInfo page{.software = "Ferry/9.9",
                  .realm = "example.org",
                  .port = 3478,
                  .addresses = {*Address::parse_ip("192.0.2.10")}};
    return Router(settings, page,
                  {.metrics = [] { return std::string(); },
                   .ready = [] { return true; },
                   .now = [this] { return now; },
                   .unix_now = [] { return kNow; },
                   .random_user = [] { return std::string("rnd0123456789abc"); },
                   .counters = &counters});
  }
  Response call(const Router& r, std::string_view path, std::string_view query,
                std::vector<std::pair<std::string_view, std::string_view>> headers = {},
                std::string_view method = "GET", Address source = ip("198.51.100.7")) {
    return r.handle({.method = method,
                     .path = path,
                     .host = host,
                     .query = query,
                     .source = source,
                     .headers = std::move(headers)});
  }
  static std::string header(const Response& r, std::string_view name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "(absent)";
  }
  std::uint64_t refused(Refusal why) const {
    return counters.snapshot().refused[static_cast<std::size_t>(why)];
  }
  std::uint64_t issued() const { return counters.snapshot().issued_api; }

  HttpSettings settings;
  CredentialCounters counters;
  std::string_view host = "turn.example.org:9641";
  TimePoint now{std::chrono::seconds(1000)};
};

TEST_F(CredentialEndpointTest, OffWithoutAKey) {
  settings.credential_keys.clear();
  Router r = make();
  EXPECT_EQ(call(r, "/turn", std::string("key=") + kKey).status, 404);
  EXPECT_EQ(call(r, "/ice-servers", "").status, 404);
  EXPECT_EQ(call(r, "/turn", "", {}, "OPTIONS").status, 405);
}

TEST_F(CredentialEndpointTest, RestJsonWithAKeyInTheQuery) {
  Router r = make();
  Response a = call(r, "/turn", std::string("service=turn&username=alice&key=") + kKey);
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.content_type, "application/json");
  EXPECT_FALSE(a.cacheable);  // Cache-Control: no-store (server.cc)
  const std::string user = std::to_string(kNow + 86400) + ":alice";
  EXPECT_EQ(a.body, "{\"username\":\"" + user + "\",\"password\":\"" +
                        auth::rest_password(kSecret, user) +
                        "\",\"ttl\":86400,\"uris\":[\"turn:192.0.2.10:3478?transport=udp\","
                        "\"turn:192.0.2.10:3478?transport=tcp\"]}\n");
  EXPECT_EQ(header(a, "Vary"), "Origin");
  EXPECT_EQ(header(a, "Access-Control-Allow-Origin"), "(absent)");  // no Origin: no CORS
  EXPECT_EQ(issued(), 1u);
  // The server's own store accepts what it minted.
  auth::RestSecrets store({kSecret}, "example.org", ':');
  EXPECT_EQ(store.find(user, "example.org", kNow).status, auth::Lookup::Status::kFound);
}

TEST_F(CredentialEndpointTest, IceServersWithABearerKeyAndNoUsername) {
  Router r = make();
  const std::string bearer = std::string("Bearer ") + kKey;
  Response a = call(r, "/ice-servers", "", {{"authorization", bearer}});
  ASSERT_EQ(a.status, 200) << a.body;
  const std::string user = std::to_string(kNow + 86400) + ":rnd0123456789abc";
  EXPECT_EQ(a.body,
            "{\"iceServers\":[{\"urls\":[\"stun:192.0.2.10:3478\"]},{\"urls\":["
            "\"turn:192.0.2.10:3478?transport=udp\",\"turn:192.0.2.10:3478?transport=tcp\""
            "],\"username\":\"" +
                user + "\",\"credential\":\"" + auth::rest_password(kSecret, user) + "\"}]}\n");
}

TEST_F(CredentialEndpointTest, AWrongOrMissingKeyGets401AndNothing) {
  Router r = make();
  const std::string wrong_bearer = std::string("Bearer ") + kKey + "x";
  for (Response a :
       {call(r, "/turn", "username=alice"), call(r, "/turn", "key=wrong"), call(r, "/turn", "key="),
        call(r, "/turn", std::string("key=") + std::string(kKey).substr(1)),
        call(r, "/ice-servers", "", {{"Authorization", wrong_bearer}}),
        // a right key in the query does not rescue a wrong header
        call(r, "/turn", std::string("key=") + kKey, {{"Authorization", "Basic Zm9vOmJhcg=="}})}) {
    EXPECT_EQ(a.status, 401);
    EXPECT_EQ(a.body.find("password"), std::string::npos) << a.body;
    EXPECT_EQ(a.body.find("credential\""), std::string::npos) << a.body;
    EXPECT_NE(header(a, "WWW-Authenticate"), "(absent)");
  }
  EXPECT_EQ(refused(Refusal::kBadKey), 6u);
  EXPECT_EQ(issued(), 0u);
}

TEST_F(CredentialEndpointTest, AnAllowedOriginGetsItsCorsHeaders) {
  Router r = make();
  Response a =
      call(r, "/turn", std::string("key=") + kKey, {{"Origin", "https://app.example.org"}});
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(header(a, "Access-Control-Allow-Origin"), "https://app.example.org");
  EXPECT_EQ(header(a, "Vary"), "Origin");
  // Its preflight (a GET with Authorization) is answered.
  Response p = call(r, "/ice-servers", "",
                    {{"Origin", "https://app.example.org"},
                     {"Access-Control-Request-Method", "GET"},
                     {"Access-Control-Request-Headers", "authorization"}},
                    "OPTIONS");
  EXPECT_EQ(p.status, 204);
  EXPECT_EQ(header(p, "Access-Control-Allow-Origin"), "https://app.example.org");
  EXPECT_EQ(header(p, "Access-Control-Allow-Methods"), "GET");
  EXPECT_EQ(header(p, "Access-Control-Allow-Headers"), "Authorization");
  EXPECT_TRUE(p.body.empty() || p.body.find("password") == std::string::npos);
  EXPECT_EQ(issued(), 1u);  // the preflight minted nothing
}

TEST_F(CredentialEndpointTest, ADisallowedOriginGetsNoCredentialAndNoCorsHeaders) {
  Router r = make();
  for (const char* origin : {"https://evil.example", "https://app.example.org.evil.example",
                             "http://app.example.org", "null", ""}) {
    Response a = call(r, "/turn", std::string("key=") + kKey, {{"Origin", origin}});
    EXPECT_EQ(a.status, 403) << origin;
    EXPECT_EQ(a.body.find("password"), std::string::npos);
    EXPECT_EQ(header(a, "Access-Control-Allow-Origin"), "(absent)");
    Response p = call(r, "/turn", "",
                      {{"Origin", origin}, {"Access-Control-Request-Method", "GET"}}, "OPTIONS");
    EXPECT_EQ(p.status, 403) << origin;
    EXPECT_EQ(header(p, "Access-Control-Allow-Origin"), "(absent)");
    EXPECT_EQ(header(p, "Access-Control-Allow-Methods"), "(absent)");
  }
  EXPECT_EQ(refused(Refusal::kOrigin), 10u);
  EXPECT_EQ(issued(), 0u);
}

TEST_F(CredentialEndpointTest, AFloodFromOneSourceGets429OthersDoNot) {
  Router r = make();
  const std::string q = std::string("key=") + kKey;
  int ok = 0;
  for (int i = 0; i < 50; ++i) {
    if (call(r, "/turn", q).status == 200) ++ok;
  }
  EXPECT_EQ(ok, 10);  // the burst: twice web-credential-rate
  Response limited = call(r, "/turn", q);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(header(limited, "Retry-After"), "1");
  EXPECT_EQ(refused(Refusal::kRateLimited), 41u);
  // Wrong keys spend the budget too: guessing is as slow as asking.
  EXPECT_EQ(call(r, "/turn", "key=guess").status, 429);
  // Another source is unaffected.
  EXPECT_EQ(call(r, "/turn", q, {}, "GET", ip("203.0.113.9")).status, 200);
  EXPECT_EQ(call(r, "/turn", q, {}, "GET", ip("2001:db8::1")).status, 200);
  // And the flooding one gets answers again as time passes (one per 1/rate s).
  now += std::chrono::milliseconds(200);
  EXPECT_EQ(call(r, "/turn", q).status, 200);
  EXPECT_EQ(call(r, "/turn", q).status, 429);
}

TEST_F(CredentialEndpointTest, RateZeroIsNoLimit) {
  settings.credential_rate = 0;
  Router r = make();
  for (int i = 0; i < 100; ++i) ASSERT_EQ(call(r, "/turn", std::string("key=") + kKey).status, 200);
}

TEST_F(CredentialEndpointTest, HostileUsernamesAre400AndNothingIsMinted) {
  settings.credential_rate = 0;
  Router r = make();
  const std::string k = std::string("&key=") + kKey;
  for (const std::string& u :
       {std::string("a%00b"), std::string("a%0d%0aX-Injected:%201"),
        std::string("1700000000:alice"), std::string("a%3Ab"), std::string(kMaxUserPart + 1, 'a'),
        std::string("%22%3E%3Cscript"), std::string("")}) {
    Response a = call(r, "/turn", "username=" + u + k);
    EXPECT_EQ(a.status, 400) << u;
    EXPECT_EQ(a.body.find("password"), std::string::npos);
    EXPECT_EQ(a.body.find("script"), std::string::npos);
    EXPECT_EQ(a.body.find("Injected"), std::string::npos);
  }
  // 10 KB: over the query's own bound already.
  EXPECT_EQ(call(r, "/turn", "username=" + std::string(10 * 1024, 'a') + k).status, 400);
  EXPECT_EQ(call(r, "/turn", "username=a&username=b" + k).status, 400);
  EXPECT_EQ(call(r, "/turn", "username=a%zz" + k).status, 400);
  EXPECT_EQ(refused(Refusal::kBadRequest), 10u);
  EXPECT_EQ(issued(), 0u);
}

TEST_F(CredentialEndpointTest, TheKeyIsCheckedBeforeTheParameters) {
  // A stranger learns nothing about the rules behind the key.
  Router r = make();
  EXPECT_EQ(call(r, "/turn", "username=a%00b").status, 401);
}

TEST_F(CredentialEndpointTest, ATtlCanShortenNeverLengthen) {
  Router r = make();
  const std::string k = std::string("&key=") + kKey;
  EXPECT_NE(call(r, "/turn", "ttl=600&username=a" + k).body.find("\"ttl\":600,"),
            std::string::npos);
  EXPECT_NE(call(r, "/turn", "ttl=999999&username=a" + k).body.find("\"ttl\":86400,"),
            std::string::npos);
  for (const char* bad : {"ttl=0", "ttl=-5", "ttl=abc", "ttl=", "ttl=1234567890123"}) {
    EXPECT_EQ(call(r, "/turn", bad + k).status, 400) << bad;
  }
  EXPECT_EQ(call(r, "/turn", "service=stun" + k).status, 400);
}

TEST_F(CredentialEndpointTest, MethodsOtherThanGetAndOptionsAre405) {
  Router r = make();
  for (const char* m : {"POST", "PUT", "DELETE", "HEAD", "OTHER"}) {
    Response a = call(r, "/turn", std::string("key=") + kKey, {}, m);
    EXPECT_EQ(a.status, 405) << m;
    EXPECT_EQ(header(a, "Allow"), "GET, OPTIONS");
    EXPECT_EQ(a.body.find("password"), std::string::npos);
  }
  EXPECT_EQ(refused(Refusal::kMethod), 5u);
  EXPECT_EQ(issued(), 0u);
}

TEST_F(CredentialEndpointTest, OtherPathsAreUnchanged) {
  Router r = make();
  EXPECT_EQ(call(r, "/turn/x", std::string("key=") + kKey).status, 404);
  EXPECT_EQ(call(r, "/livez", "").status, 200);
}

// web-test-credentials: only callers on this host, and never through a proxy.
class TestCredentialsTest : public CredentialEndpointTest {
 protected:
  TestCredentialsTest() {
    settings.credential_keys.clear();
    settings.test_credentials = true;
    host = "127.0.0.1:9641";  // the page as an admin on this host opens it
  }
  std::string config(std::vector<std::pair<std::string_view, std::string_view>> headers,
                     Address source) {
    Router r = make();
    return call(r, "/config.json", "", std::move(headers), "GET", source).body;
  }
};

TEST_F(TestCredentialsTest, TheLoopbackPageGetsCredentials) {
  const std::string body = config({}, ip("127.0.0.1"));
  const std::string user = std::to_string(kNow + 3600) + ":rnd0123456789abc";
  EXPECT_NE(body.find("\"testCredentials\":true,\"username\":\"" + user + "\",\"password\":\"" +
                      auth::rest_password(kSecret, user) + "\",\"ttl\":3600}"),
            std::string::npos)
      << body;
  EXPECT_NE(config({}, ip("::1")).find("\"testCredentials\":true"), std::string::npos);
  EXPECT_EQ(counters.snapshot().issued_test_page, 2u);
  // The endpoint itself stays off: no key.
  Router r = make();
  EXPECT_EQ(call(r, "/turn", "", {}, "GET", ip("127.0.0.1")).status, 404);
}

TEST_F(TestCredentialsTest, NotForOtherNetworksOrThroughAProxy) {
  for (const auto& [headers, source] :
       std::vector<std::pair<std::vector<std::pair<std::string_view, std::string_view>>, Address>>{
           {{}, ip("192.0.2.44")},
           {{}, ip("10.0.0.1")},
           {{{"X-Forwarded-For", "203.0.113.5"}}, ip("127.0.0.1")},
           {{{"forwarded", "for=203.0.113.5"}}, ip("127.0.0.1")},
           {{{"X-Real-IP", "203.0.113.5"}}, ip("127.0.0.1")}}) {
    const std::string body = config(headers, source);
    EXPECT_NE(body.find("\"testCredentials\":false}"), std::string::npos) << body;
    EXPECT_EQ(body.find("password"), std::string::npos);
  }
  EXPECT_EQ(refused(Refusal::kNotAdmin), 5u);
  EXPECT_EQ(counters.snapshot().issued_test_page, 0u);
}

// DNS rebinding: a hostile page at http://evil.example:9641/ whose name is made to resolve to
// 127.0.0.1 has a browser on this host send loopback requests that carry no proxy header, and
// reads the answers as same-origin. Its Host header names it: only an IP literal or
// "localhost" (names no outsider's DNS can point here) is this host's own page.
TEST_F(TestCredentialsTest, NotToAPageReachedThroughAnotherHostName) {
  for (std::string_view h : {"evil.example:9641", "evil.example", "127.0.0.1.evil.example:9641",
                             "localhost.evil.example"}) {
    host = h;
    const std::string body = config({}, ip("127.0.0.1"));
    EXPECT_NE(body.find("\"testCredentials\":false}"), std::string::npos) << h << ": " << body;
    EXPECT_EQ(body.find("password"), std::string::npos) << h;
  }
  EXPECT_EQ(refused(Refusal::kNotAdmin), 4u);
  for (std::string_view h : {"127.0.0.1:9641", "[::1]:9641", "localhost:9641", "LocalHost", ""}) {
    host = h;
    EXPECT_NE(config({}, ip("127.0.0.1")).find("\"testCredentials\":true"), std::string::npos) << h;
  }
}

TEST_F(TestCredentialsTest, OffByDefault) {
  settings.test_credentials = false;
  EXPECT_NE(config({}, ip("127.0.0.1")).find("\"testCredentials\":false}"), std::string::npos);
}

TEST(AdminNetwork, LoopbackWithoutProxyHeaders) {
  EXPECT_TRUE(from_admin_network({.source = *Address::parse_ip("127.0.0.1", 1)}));
  EXPECT_TRUE(from_admin_network({.source = *Address::parse_ip("::1", 1)}));
  EXPECT_FALSE(from_admin_network({}));
  EXPECT_FALSE(from_admin_network({.source = *Address::parse_ip("192.0.2.1", 1)}));
  EXPECT_FALSE(from_admin_network(
      {.source = *Address::parse_ip("127.0.0.1", 1), .headers = {{"x-forwarded-for", "1.2.3.4"}}}));
}

}  // namespace
}  // namespace ferry::http
