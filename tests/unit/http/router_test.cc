// The HTTP listener's routes without sockets: what a browser, Prometheus and a load balancer's
// health check get, and the URLs the test page is prefilled with.
#include "ferry/http/router.h"

#include <gtest/gtest.h>

namespace ferry::http {
namespace {

Address ip(const char* text) {
  return *Address::parse_ip(text);
}

class RouterTest : public ::testing::Test {
 protected:
  Router make(PageInfo page = {}) {
    if (page.software.empty()) {
      page.software = "Ferry/9.9";
      page.realm = "example.org";
      page.port = 3478;
      page.addresses = {ip("192.0.2.10"), ip("2001:db8::10")};
    }
    return Router(
        settings, std::move(page),
        {.metrics = [] { return std::string("m 1\n"); }, .ready = [this] { return ready; }});
  }
  Response get(const Router& r, std::string_view path, std::string_view host = "192.0.2.10:9641") {
    return r.handle({.method = "GET", .path = path, .host = host});
  }
  HttpSettings settings{.metrics = true};
  bool ready = true;
};

TEST_F(RouterTest, PageAndItsFilesAreServedFromTheBinary) {
  Router r = make();
  Response page = get(r, "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("page.js"), std::string::npos);
  EXPECT_EQ(get(r, "/index.html").body, page.body);
  Response js = get(r, "/page.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_NE(js.body.find("ferryResults"), std::string::npos);
  EXPECT_EQ(get(r, "/page.css").content_type, "text/css; charset=utf-8");
  EXPECT_EQ(get(r, "/nothing-here").status, 404);
  EXPECT_EQ(get(r, "/../etc/passwd").status, 404);
}

TEST_F(RouterTest, OnlyGetAndHead) {
  Router r = make();
  EXPECT_EQ(r.handle({.method = "HEAD", .path = "/livez"}).status, 200);
  Response post = r.handle({.method = "OTHER", .path = "/"});
  EXPECT_EQ(post.status, 405);
  ASSERT_EQ(post.headers.size(), 1u);
  EXPECT_EQ(post.headers[0].first, "Allow");
}

TEST_F(RouterTest, HealthAndVersion) {
  Router r = make();
  EXPECT_EQ(get(r, "/livez").status, 200);
  EXPECT_EQ(get(r, "/readyz").status, 200);
  ready = false;  // draining
  EXPECT_EQ(get(r, "/readyz").status, 503);
  EXPECT_EQ(get(r, "/livez").status, 200);  // alive while draining
  EXPECT_EQ(get(r, "/version").body, "Ferry/9.9\n");
}

TEST_F(RouterTest, MetricsOnlyWithPrometheus) {
  Response on = get(make(), "/metrics");
  EXPECT_EQ(on.status, 200);
  EXPECT_EQ(on.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(on.body, "m 1\n");
  EXPECT_FALSE(on.cacheable);
  settings.metrics = false;
  settings.metrics_off_text = "metrics are off: set X\n";  // the configuration names the option
  Response off = get(make(), "/metrics");
  EXPECT_EQ(off.status, 404);
  EXPECT_EQ(off.body, "metrics are off: set X\n");
}

TEST_F(RouterTest, ConfigNamesTheHostThePageWasLoadedThrough) {
  Router r = make();
  Response c = get(r, "/config.json", "turn.example.org:9641");
  EXPECT_EQ(c.status, 200);
  EXPECT_EQ(c.content_type, "application/json");
  EXPECT_EQ(c.body,
            "{\"software\":\"Ferry/9.9\",\"realm\":\"example.org\",\"urls\":["
            "\"stun:turn.example.org:3478\",\"turn:turn.example.org:3478?transport=udp\","
            "\"turn:turn.example.org:3478?transport=tcp\"],\"metrics\":true,"
            "\"testCredentials\":false}\n");
  EXPECT_EQ(r.ice_urls("[2001:db8::10]:9641").front(), "stun:[2001:db8::10]:3478");
}

TEST_F(RouterTest, LoopbackPageForAServerNotOnLoopbackNamesItsFirstAddress) {
  // An SSH tunnel to the page: 127.0.0.1 would not reach the TURN ports.
  Router r = make();
  EXPECT_EQ(r.ice_urls("127.0.0.1:9641").front(), "stun:192.0.2.10:3478");
  EXPECT_EQ(r.ice_urls("").front(), "stun:192.0.2.10:3478");
  PageInfo local{.software = "Ferry/9.9",
                 .realm = "r",
                 .port = 3478,
                 .udp = true,
                 .tcp = false,
                 .addresses = {ip("127.0.0.1")}};
  Router l = make(local);
  EXPECT_EQ(l.ice_urls("127.0.0.1:9641"),
            (std::vector<std::string>{"stun:127.0.0.1:3478", "turn:127.0.0.1:3478?transport=udp"}));
}

// With TURN over TLS on, the page lists a turns: URL on the TLS port (issue 18).
TEST_F(RouterTest, TurnsUrlWhenTlsIsOn) {
  PageInfo page{.software = "Ferry/9.9",
                .realm = "r",
                .port = 3478,
                .udp = true,
                .tcp = true,
                .addresses = {ip("192.0.2.10")},
                .tls_port = 5349};
  Router r = make(page);
  EXPECT_EQ(r.ice_urls("turn.example.org"),
            (std::vector<std::string>{"stun:turn.example.org:3478",
                                      "turn:turn.example.org:3478?transport=udp",
                                      "turn:turn.example.org:3478?transport=tcp",
                                      "turns:turn.example.org:5349?transport=tcp"}));
}

TEST_F(RouterTest, HostHeaderCannotInjectIntoTheUrls) {
  Router r = make();
  for (const char* evil : {"a\"b", "x/y", "<script>", "h\\u0022", "[::1", "a b"}) {
    EXPECT_EQ(r.ice_urls(evil).front(), "stun:192.0.2.10:3478") << evil;
  }
  PageInfo quoted{
      .software = "Ferry\"/1", .realm = "r\\\n", .port = 1, .addresses = {ip("192.0.2.1")}};
  EXPECT_NE(
      get(make(quoted), "/config.json").body.find("\"Ferry\\\"/1\",\"realm\":\"r\\\\\\u000a\""),
      std::string::npos);
}

TEST(SecurityHeaders, ThePageRunsOnlyItsOwnScripts) {
  bool csp = false;
  for (const auto& [k, v] : security_headers()) {
    if (k == "Content-Security-Policy") {
      csp = true;
      EXPECT_NE(v.find("default-src 'self'"), std::string::npos);
      EXPECT_EQ(v.find("unsafe-inline"), std::string::npos);
    }
  }
  EXPECT_TRUE(csp);
}

}  // namespace
}  // namespace ferry::http
