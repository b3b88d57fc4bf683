// The HTTP listener of a real turnserver on loopback: page, config, health, live metrics of
// a relayed session, HTTPS, bind failures and hostile requests.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>

#include "client/turn_client.h"
#include "http_client.h"
#include "server_process.h"

namespace ferry::testing {
namespace {

using client::ClientSocket;
using client::TurnClient;

// The value of the sample `series` (name and labels exactly) in Prometheus text, -1 if absent.
double metric(const std::string& text, const std::string& series) {
  auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

// Holds a TCP port on 127.0.0.1 (listening), so the server cannot have it.
class PortHolder {
 public:
  explicit PortHolder(std::uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    held_ = bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && listen(fd_, 1) == 0;
  }
  ~PortHolder() { close(fd_); }
  bool held() const { return held_; }

 private:
  int fd_ = -1;
  bool held_ = false;
};

class HttpTest : public ::testing::Test {
 protected:
  void start(const std::string& extra = "prometheus\n") {
    port_ = free_port();
    web_port_ = free_port();
    server_ = std::make_unique<ServerProcess>(
        "listening-ip=127.0.0.1\nlistening-port=" + std::to_string(port_) +
            "\nrealm=example.org\nuser=alice:secret\nuser=bob:hunter2\nweb-listening-port=" +
            std::to_string(web_port_) + "\n" + extra,
        stun_address());
    ASSERT_TRUE(server_->ready()) << server_->log();
  }
  void TearDown() override {
    if (server_) {
      EXPECT_EQ(server_->stop(), 0) << server_->log();
    }
  }
  Address stun_address() const { return *Address::parse_ip("127.0.0.1", port_); }
  Address web() const { return *Address::parse_ip("127.0.0.1", web_port_); }
  std::string get_ok(const std::string& path) {
    auto r = http_get(web(), path);
    EXPECT_TRUE(r) << path << " unanswered; log:\n" << server_->log();
    if (!r) return {};
    EXPECT_EQ(r->status, 200) << path << ": " << r->body;
    return r->body;
  }
  TurnClient client(Transport t) {
    std::string err;
    auto s = ClientSocket::open(t, stun_address(), &err);
    EXPECT_TRUE(s) << err;
    return TurnClient(std::move(*s));
  }

  std::uint16_t port_ = 0;
  std::uint16_t web_port_ = 0;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(HttpTest, ServesThePageHealthVersionAndConfig) {
  start();
  auto page = http_get(web(), "/");
  ASSERT_TRUE(page) << server_->log();
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->headers["content-type"], "text/html; charset=utf-8");
  EXPECT_NE(page->headers["content-security-policy"].find("default-src 'self'"), std::string::npos);
  EXPECT_EQ(page->headers["x-content-type-options"], "nosniff");
  EXPECT_NE(page->body.find("page.js"), std::string::npos) << page->body;
  EXPECT_EQ(get_ok("/livez"), "ok\n");
  EXPECT_EQ(get_ok("/readyz"), "ready\n");
  EXPECT_EQ(get_ok("/version").rfind("Ferry/", 0), 0u);
  const std::string config = get_ok("/config.json");
  const std::string hp = "127.0.0.1:" + std::to_string(port_);
  EXPECT_NE(config.find("\"stun:" + hp + "\""), std::string::npos) << config;
  EXPECT_NE(config.find("\"turn:" + hp + "?transport=udp\""), std::string::npos) << config;
  EXPECT_NE(config.find("\"turn:" + hp + "?transport=tcp\""), std::string::npos) << config;
  EXPECT_NE(config.find("\"realm\":\"example.org\""), std::string::npos) << config;
  EXPECT_NE(server_->log().find("test page on http://127.0.0.1:" + std::to_string(web_port_)),
            std::string::npos);
}

TEST_F(HttpTest, MetricsFollowARelayedSessionLive) {
  start();
  auto a = client(Transport::kUdp);
  auto b = client(Transport::kTcp);
  auto ra = a.allocate("alice", "secret", 600);
  auto rb = b.allocate("bob", "hunter2", 600);
  ASSERT_TRUE(ra.ok && rb.ok);
  auto wrong = client(Transport::kUdp);
  EXPECT_EQ(wrong.allocate("alice", "wrong", 600).error_code, 401);

  ASSERT_TRUE(a.create_permission(rb.relayed).ok);
  ASSERT_TRUE(b.create_permission(ra.relayed).ok);
  const std::vector<std::uint8_t> payload(100, 0x42);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(a.send_indication(rb.relayed, payload));
    ASSERT_TRUE(b.receive_data(Millis(2000))) << "packet " << i;
  }
  std::string m = get_ok("/metrics");
  EXPECT_EQ(metric(m, "ferry_allocations_current{transport=\"udp\",family=\"ipv4\"}"), 1) << m;
  EXPECT_EQ(metric(m, "ferry_allocations_current{transport=\"tcp\",family=\"ipv4\"}"), 1);
  EXPECT_EQ(metric(m, "turn_total_allocations{type=\"UDP\"}"), 1);
  EXPECT_EQ(metric(m, "ferry_permissions_current"), 2);
  // a -> relay A -> relay B -> b: each packet leaves A for a peer and B for a client.
  EXPECT_EQ(metric(m, "ferry_relayed_packets_total{direction=\"client_to_peer\"}"), 3);
  EXPECT_EQ(metric(m, "ferry_relayed_bytes_total{direction=\"client_to_peer\"}"), 300);
  EXPECT_EQ(metric(m, "ferry_relayed_bytes_total{direction=\"peer_to_client\"}"), 300);
  EXPECT_EQ(metric(m, "ferry_auth_failures_total{reason=\"bad_integrity\"}"), 1);
  EXPECT_GE(metric(m, "ferry_binding_requests_total"), 1);  // the start-up probe
  EXPECT_EQ(metric(m, "ferry_tcp_connections_current"), 1);

  ASSERT_TRUE(a.refresh(0).ok);
  m = get_ok("/metrics");
  EXPECT_EQ(metric(m, "ferry_allocations_current{transport=\"udp\",family=\"ipv4\"}"), 0);
  EXPECT_EQ(metric(m, "ferry_allocations_ended_total{transport=\"udp\",family=\"ipv4\"}"), 1);
  EXPECT_EQ(metric(m, "ferry_allocations_created_total{transport=\"udp\",family=\"ipv4\"}"), 1);
  EXPECT_EQ(metric(m, "ferry_permissions_current"), 1);
}

TEST_F(HttpTest, UserLabelsOnlyWithPrometheusUsernameLabels) {
  start("prometheus\nprometheus-username-labels\n");
  auto a = client(Transport::kUdp);
  auto b = client(Transport::kUdp);
  auto c = client(Transport::kTcp);
  ASSERT_TRUE(a.allocate("alice", "secret", 600).ok);
  ASSERT_TRUE(b.allocate("alice", "secret", 600).ok);
  ASSERT_TRUE(c.allocate("bob", "hunter2", 600).ok);
  std::string m = get_ok("/metrics");
  EXPECT_EQ(metric(m, "ferry_user_allocations_current{user=\"alice\"}"), 2) << m;
  EXPECT_EQ(metric(m, "ferry_user_allocations_current{user=\"bob\"}"), 1) << m;
  ASSERT_TRUE(c.refresh(0).ok);
  m = get_ok("/metrics");
  EXPECT_EQ(metric(m, "ferry_user_allocations_current{user=\"bob\"}"), -1) << "no series left";
}

TEST_F(HttpTest, NoUserLabelsByDefault) {
  start();
  auto a = client(Transport::kUdp);
  ASSERT_TRUE(a.allocate("alice", "secret", 600).ok);
  EXPECT_EQ(get_ok("/metrics").find("user="), std::string::npos);
}

TEST_F(HttpTest, MetricsAreOffWithoutPrometheus) {
  start("");
  auto r = http_get(web(), "/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(get_ok("/livez"), "ok\n");
}

TEST_F(HttpTest, HostileRequestsAreRefusedAndTheListenerStaysUp) {
  start();
  auto garbage = http_exchange(web(), "GARBAGE\r\n\r\n", false);
  EXPECT_TRUE(!garbage || garbage->status == 400);
  const std::string huge_header =
      "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n";
  auto big = http_exchange(web(), huge_header, false);
  EXPECT_TRUE(!big || big->status >= 400);
  auto post = http_exchange(web(),
                            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                            "Connection: close\r\n\r\nabc",
                            false);
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  auto evil_host = http_exchange(web(),
                                 "GET /config.json HTTP/1.1\r\nHost: \"><script>\r\n"
                                 "Connection: close\r\n\r\n",
                                 false);
  ASSERT_TRUE(evil_host);
  EXPECT_EQ(evil_host->body.find("<script>"), std::string::npos) << evil_host->body;
  EXPECT_EQ(get_ok("/livez"), "ok\n");
}

TEST_F(HttpTest, NoWebOpensNoListener) {
  start("no-web\nprometheus\n");
  EXPECT_FALSE(http_get(web(), "/livez", false, Millis(300)));
}

TEST(HttpStart, AChosenPortInUseStopsTheStart) {
  std::uint16_t web_port = free_port();
  PortHolder holder(web_port);
  ASSERT_TRUE(holder.held());
  auto r = run_program({turnserver_path(), "-n", "--listening-ip=127.0.0.1",
                        "--listening-port=" + std::to_string(free_port()),
                        "--web-listening-port=" + std::to_string(web_port)});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("cannot start the HTTP listener"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("127.0.0.1:" + std::to_string(web_port)), std::string::npos);
}

TEST(HttpStart, TheDefaultPortInUseIsOnlyAWarning) {
  // A second server on one host with the default config: STUN/TURN still start. If 9641 is
  // already taken by something else, the case holds all the same.
  PortHolder holder(9641);
  std::uint16_t port = free_port();
  ServerProcess server("listening-ip=127.0.0.1\nlistening-port=" + std::to_string(port) + "\n",
                       *Address::parse_ip("127.0.0.1", port));
  ASSERT_TRUE(server.ready()) << server.log();
  EXPECT_NE(server.log().find("HTTP listener not started"), std::string::npos) << server.log();
  EXPECT_EQ(server.stop(), 0);
}

TEST(HttpStart, CertWithoutKeyIsAConfigError) {
  auto r = run_program({turnserver_path(), "-n", "--check-config", "--web-cert=/tmp/x.pem"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("'web-cert' and 'web-pkey' go together"), std::string::npos) << r.output;
}

TEST(HttpStart, ServesHttpsWithWebCertAndWebPkey) {
  if (access("/usr/bin/openssl", X_OK) != 0) GTEST_SKIP() << "needs /usr/bin/openssl";
  TempDir dir;
  std::string log;
  auto made = make_test_certificate(dir, &log);
  ASSERT_TRUE(made) << log;
  const std::string cert = made->cert, key = made->key;
  std::uint16_t port = free_port(), web_port = free_port();
  ServerProcess server("listening-ip=127.0.0.1\nlistening-port=" + std::to_string(port) +
                           "\nweb-listening-port=" + std::to_string(web_port) +
                           "\nweb-cert=" + cert + "\nweb-pkey=" + key + "\n",
                       *Address::parse_ip("127.0.0.1", port));
  ASSERT_TRUE(server.ready()) << server.log();
  const Address web = *Address::parse_ip("127.0.0.1", web_port);
  auto r = http_get(web, "/livez", true);
  ASSERT_TRUE(r) << server.log();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "ok\n");
  EXPECT_FALSE(http_get(web, "/livez", false, Millis(300)));  // plain HTTP is not answered
  EXPECT_NE(server.log().find("test page on https://"), std::string::npos) << server.log();
  EXPECT_EQ(server.stop(), 0);
}

TEST(HttpStart, AMissingCertificateStopsTheStartWithItsName) {
  auto r = run_program({turnserver_path(), "-n", "--listening-ip=127.0.0.1",
                        "--listening-port=" + std::to_string(free_port()),
                        "--web-listening-port=" + std::to_string(free_port()),
                        "--web-cert=/nonexistent/cert.pem", "--web-pkey=/nonexistent/key.pem"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("/nonexistent/cert.pem"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace ferry::testing
