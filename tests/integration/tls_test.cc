// TURN over TLS (turns:, RFC 8656 §3.1) against the real turnserver on loopback, with a
// certificate the test makes: relaying both ways, ALPN, coturn's client over TLS, and what a
// stranger can make a TLS listener hold (a handshake that never ends, plain bytes, a flood of
// connections from one address).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "client/turn_client.h"
#include "http_client.h"
#include "server_process.h"
#include "tls_server_test.h"

namespace ferry::testing {
namespace {

using client::ClientSocket;
using client::TurnClient;

// A raw TCP connection, for what a TLS client would never send.
int connect_tcp(const Address& a) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_storage ss;
  socklen_t len = a.to_sockaddr(&ss);
  if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// True when the server closed `fd` (EOF or reset) within `within`.
bool closed_within(int fd, Millis within) {
  auto until = Clock::now() + within;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<Millis>(until - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return true;  // bytes (a TLS alert) before the close are read and skipped
  }
}

class TlsTest : public TlsServerTest {
 protected:
  std::string config(const std::string& extra = "") const {
    return "listening-ip=127.0.0.1\nlistening-port=" + std::to_string(port_) +
           "\ntls-listening-port=" + std::to_string(tls_port_) + "\ncert=" + cert_ +
           "\npkey=" + key_ +
           "\nrelay-ip=127.0.0.1\nmin-port=44000\nmax-port=44999\nrealm=example.org\n"
           "user=alice:secret\nallow-loopback-peers\nrelay-threads=2\n" +
           extra;
  }
  void start(const std::string& extra = "") {
    server_ =
        std::make_unique<ServerProcess>(config(extra), *Address::parse_ip("127.0.0.1", port_));
    ASSERT_TRUE(server_->ready()) << server_->log();
  }
  Address tls_address() const { return *Address::parse_ip("127.0.0.1", tls_port_); }
};

// A turns: client allocates, and data flows both ways between it and a UDP peer; the server
// picks ALPN "stun.turn" (RFC 7443) when the client offers it.
TEST_F(TlsTest, RelaysBothWaysOverTls) {
  start();
  EXPECT_NE(server_->log().find("(TLS)"), std::string::npos) << server_->log();
  std::string err;
  auto s = ClientSocket::open(Transport::kTls, tls_address(), &err);
  ASSERT_TRUE(s) << err;
  EXPECT_EQ(s->alpn(), "stun.turn");
  TurnClient c(std::move(*s));
  auto a = c.allocate("alice", "secret", 600);
  ASSERT_TRUE(a.ok) << a.error_code << " " << a.reason;
  EXPECT_EQ(a.relayed.ip_string(), "127.0.0.1");

  int peer = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  Address peer_addr = *Address::parse_ip("127.0.0.1", 0);
  sockaddr_storage ss;
  socklen_t len = peer_addr.to_sockaddr(&ss);
  ASSERT_EQ(bind(peer, reinterpret_cast<sockaddr*>(&ss), len), 0);
  len = sizeof ss;
  getsockname(peer, reinterpret_cast<sockaddr*>(&ss), &len);
  peer_addr = Address::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);

  ASSERT_TRUE(c.create_permission(peer_addr).ok);
  const std::vector<std::uint8_t> out{'o', 'v', 'e', 'r', ' ', 't', 'l', 's'};
  ASSERT_TRUE(c.send_indication(peer_addr, out));
  pollfd p{peer, POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 2000), 1) << "nothing reached the peer";
  std::uint8_t buf[2048];
  sockaddr_storage from;
  socklen_t flen = sizeof from;
  ssize_t n = recvfrom(peer, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &flen);
  ASSERT_EQ(n, static_cast<ssize_t>(out.size()));
  EXPECT_EQ(Address::from_sockaddr(reinterpret_cast<sockaddr*>(&from), flen), a.relayed);
  const std::vector<std::uint8_t> back{'b', 'a', 'c', 'k'};
  sendto(peer, back.data(), back.size(), 0, reinterpret_cast<sockaddr*>(&from), flen);
  auto got = c.receive_data(Millis(2000));
  ASSERT_TRUE(got) << "nothing came back over TLS";
  EXPECT_EQ(got->data, back);
  EXPECT_EQ(got->peer, peer_addr);
  close(peer);
}

// The test page is told about the TLS port: its ICE server list gains a turns: URL.
TEST_F(TlsTest, TheTestPageListsTurns) {
  const std::uint16_t web_port = free_port();
  start("web-listening-port=" + std::to_string(web_port) + "\n");
  auto r = http_get(*Address::parse_ip("127.0.0.1", web_port), "/config.json");
  ASSERT_TRUE(r) << server_->log();
  EXPECT_NE(r->body.find("\"turns:127.0.0.1:" + std::to_string(tls_port_) + "?transport=tcp\""),
            std::string::npos)
      << r->body;
}

// One port for both (tls-listening-port = listening-port, e.g. 443): each connection's first
// byte tells TLS from plain STUN/TURN; UDP on the port works as before.
TEST_F(TlsTest, TlsAndTcpOnOnePort) {
  start("tls-listening-port=" + std::to_string(port_) + "\n");
  const Address one = *Address::parse_ip("127.0.0.1", port_);
  for (Transport t : {Transport::kTls, Transport::kTcp, Transport::kUdp}) {
    SCOPED_TRACE(std::string(transport_name(t)));
    std::string err;
    auto s = ClientSocket::open(t, one, &err);
    ASSERT_TRUE(s) << err;
    TurnClient c(std::move(*s));
    auto a = c.allocate("alice", "secret", 600);
    EXPECT_TRUE(a.ok) << a.error_code << " " << a.reason;
  }
}

// With its own TLS port, the plain TCP port still takes TLS (as coturn's does).
TEST_F(TlsTest, ThePlainPortTakesTlsToo) {
  start();
  std::string err;
  auto s = ClientSocket::open(Transport::kTls, *Address::parse_ip("127.0.0.1", port_), &err);
  ASSERT_TRUE(s) << err;
  TurnClient c(std::move(*s));
  EXPECT_TRUE(c.allocate("alice", "secret", 600).ok);
}

// On a port that takes either, a connection that sends nothing holds its slot only until the
// frame deadline.
TEST_F(TlsTest, ASilentConnectionOnTheSharedPortIsClosed) {
  start("tcp-frame-timeout=1\n");
  int fd = connect_tcp(*Address::parse_ip("127.0.0.1", port_));
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(closed_within(fd, Millis(3000)));
  close(fd);
}

// A connection that never completes its handshake is closed at the frame deadline
// (tcp-frame-timeout), holding its descriptor only that long.
TEST_F(TlsTest, AHandshakeThatNeverEndsIsClosed) {
  start("tcp-frame-timeout=1\n");
  int fd = connect_tcp(tls_address());
  ASSERT_GE(fd, 0);
  const char partial[] = "\x16\x03\x01\x02\x00\x01";  // a ClientHello's first bytes, no more
  ASSERT_EQ(send(fd, partial, sizeof partial - 1, MSG_NOSIGNAL), 6);
  EXPECT_TRUE(closed_within(fd, Millis(4000)));
  close(fd);
}

// Plain STUN on the TLS port is not TLS: the handshake fails and the connection closes,
// unanswered.
TEST_F(TlsTest, PlainBytesOnTheTlsPortAreNotAnswered) {
  start();
  int fd = connect_tcp(tls_address());
  ASSERT_GE(fd, 0);
  // A Binding request's 20-byte header.
  const std::uint8_t binding[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42, 1,  2,
                                    3,    4,    5,    6,    7,    8,    9,    10,   11, 12};
  ASSERT_EQ(send(fd, binding, sizeof binding, MSG_NOSIGNAL), 20);
  EXPECT_TRUE(closed_within(fd, Millis(3000)));
  close(fd);
}

// TLS connections count against max-tcp-connections-per-ip like TCP ones.
TEST_F(TlsTest, PerAddressConnectionLimitCoversTls) {
  start("max-tcp-connections-per-ip=2\n");
  int a = connect_tcp(tls_address());
  int b = connect_tcp(tls_address());
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  std::this_thread::sleep_for(Millis(200));  // both accepted
  int c = connect_tcp(tls_address());
  ASSERT_GE(c, 0);
  EXPECT_TRUE(closed_within(c, Millis(2000))) << "a third connection from one address stayed";
  EXPECT_FALSE(closed_within(a, Millis(200)));
  close(a);
  close(b);
  close(c);
}

// tls-handshake-rate: a source /24 opening handshakes faster than its budget has the extra
// connections closed before any handshake work; another /24 is not affected, and the
// refusals are counted.
TEST_F(TlsTest, HandshakesPerSourcePrefixAreRateLimited) {
  const std::uint16_t web = free_port();
  // 4 per second for the server: 2 per worker, bursts of 4 per worker.
  start("tls-handshake-rate=4\nprometheus\nweb-listening-port=" + std::to_string(web) + "\n");
  const Address local = *Address::parse_ip("127.0.0.1", 0);
  int completed = 0;
  for (int i = 0; i < 24; ++i) {
    std::string err;
    if (ClientSocket::open(Transport::kTls, tls_address(), &err, &local)) ++completed;
  }
  // Two workers' bursts (8) plus what refills while the loop runs (well under a second).
  EXPECT_GE(completed, 1);
  EXPECT_LE(completed, 12) << "the rate did not bind";
  // 127.0.1.0/24 is another source prefix, with its own budget.
  const Address other = *Address::parse_ip("127.0.1.1", 0);
  std::string err;
  EXPECT_TRUE(ClientSocket::open(Transport::kTls, tls_address(), &err, &other)) << err;
  auto metrics = http_get(*Address::parse_ip("127.0.0.1", web), "/metrics");
  ASSERT_TRUE(metrics);
  const std::string series =
      "\nferry_tcp_connections_refused_total{reason=\"tls_handshake_rate\"} ";
  auto at = metrics->body.find(series);
  ASSERT_NE(at, std::string::npos) << metrics->body;
  EXPECT_EQ(std::stoi(metrics->body.substr(at + series.size())), 24 - completed);
}

// A TLS client with an allocation stops reading while its peer keeps sending: what waits for
// it is bounded as for plain TCP (max-tcp-output-per-connection, counted before encryption),
// the rest is dropped and counted, and the server's memory stays flat.
TEST_F(TlsTest, RelayedDataForAStuckTlsClientIsDroppedAndCounted) {
  const std::uint16_t web = free_port();
  start("prometheus\nweb-listening-port=" + std::to_string(web) + "\n");
  std::string err;
  auto sock = ClientSocket::open(Transport::kTls, tls_address(), &err);
  ASSERT_TRUE(sock) << err;
  int small = 4096;
  setsockopt(sock->fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  TurnClient c(std::move(*sock));
  auto a = c.allocate("alice", "secret", 600);
  ASSERT_TRUE(a.ok) << a.error_code;
  // The permission is for the IP: the burst comes from another port of it.
  ASSERT_TRUE(c.create_permission(*Address::parse_ip("127.0.0.1", free_port())).ok);
  const long before = rss_kb(server_->pid());
  send_datagram_burst(a.relayed);
  std::this_thread::sleep_for(Millis(500));
  const long after = rss_kb(server_->pid());
  EXPECT_LT(after - before, kRssGrowthKb) << "RSS " << before << " kB -> " << after << " kB";
  auto metrics = http_get(*Address::parse_ip("127.0.0.1", web), "/metrics");
  ASSERT_TRUE(metrics);
  const std::string series = "\nferry_dropped_packets_total{reason=\"tcp_output_full\"} ";
  auto at = metrics->body.find(series);
  ASSERT_NE(at, std::string::npos) << metrics->body;
  EXPECT_GT(std::stol(metrics->body.substr(at + series.size())), 0)
      << "nothing was dropped for the stuck client";
}

// SIGUSR2 reloads the certificate (a renewal without a restart): new TLS and DTLS handshakes
// get the new one, a session already up keeps working, and files that do not load leave the
// old certificate in force with an error in the log.
TEST_F(TlsTest, Sigusr2ReloadsTheCertificateForNewHandshakes) {
  start();
  std::string err;
  auto first = ClientSocket::open(Transport::kTls, tls_address(), &err);
  ASSERT_TRUE(first) << err;
  const std::string old_cert = first->peer_certificate_sha256();
  ASSERT_FALSE(old_cert.empty());
  TurnClient held(std::move(*first));
  ASSERT_TRUE(held.allocate("alice", "secret", 600).ok);

  // A renewal writes new files in place, then signals.
  TempDir renewed;
  std::string log;
  auto next = make_test_certificate(renewed, &log);
  ASSERT_TRUE(next) << log;
  std::filesystem::copy_file(next->cert, cert_, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(next->key, key_, std::filesystem::copy_options::overwrite_existing);
  ASSERT_EQ(kill(server_->pid(), SIGUSR2), 0);
  std::string new_cert;
  for (int i = 0; i < 50 && (new_cert.empty() || new_cert == old_cert); ++i) {
    std::this_thread::sleep_for(Millis(50));
    auto s = ClientSocket::open(Transport::kTls, tls_address(), &err);
    ASSERT_TRUE(s) << err;
    new_cert = s->peer_certificate_sha256();
  }
  EXPECT_NE(new_cert, old_cert) << server_->log();
  EXPECT_NE(server_->log().find("SIGUSR2: TLS certificate reloaded"), std::string::npos);
  auto dtls = ClientSocket::open(Transport::kDtls, tls_address(), &err);
  ASSERT_TRUE(dtls) << err;
  EXPECT_EQ(dtls->peer_certificate_sha256(), new_cert);
  // The session made before the reload still works.
  EXPECT_TRUE(held.refresh(600).ok);

  // A broken key: the reload fails and the certificate in force stays.
  dir_.write(std::filesystem::path(key_).filename().string(), "not a key\n");
  ASSERT_EQ(kill(server_->pid(), SIGUSR2), 0);
  for (int i = 0; i < 50 && server_->log().find("was not reloaded") == std::string::npos; ++i) {
    std::this_thread::sleep_for(Millis(50));
  }
  EXPECT_NE(server_->log().find("SIGUSR2: the certificate was not reloaded, the old one stays"),
            std::string::npos)
      << server_->log();
  auto after = ClientSocket::open(Transport::kTls, tls_address(), &err);
  ASSERT_TRUE(after) << err;
  EXPECT_EQ(after->peer_certificate_sha256(), new_cert);
}

// coturn's own client over TLS (-t -S), channel mode, no loss.
TEST_F(TlsTest, CoturnClientOverTls) {
  const char* uclient = "/usr/bin/turnutils_uclient";
  const char* peer = "/usr/bin/turnutils_peer";
  if (access(uclient, X_OK) != 0 || access(peer, X_OK) != 0) {
    GTEST_SKIP() << "coturn's client tools are not installed (tools/dev setup installs them)";
  }
  start();
  const std::uint16_t peer_port = free_port_pair();
  ChildProcess echo({peer, "-L", "127.0.0.1", "-p", std::to_string(peer_port)});
  std::this_thread::sleep_for(Millis(200));
  auto r = run_program(
      {uclient,  "-t", "-S",        "-p",       std::to_string(tls_port_), "-u", "alice", "-w",
       "secret", "-e", "127.0.0.1", "-r",       std::to_string(peer_port), "-n", "30",    "-m",
       "3",      "-l", "170",       "127.0.0.1"},
      Millis(30000));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Total lost packets 0 (0.000000%)"), std::string::npos) << r.output;
}

// coturn's own client with RFC 6062 TCP relays over TLS (-T -S): control and data connections
// over TLS, data connections handed to the allocation's worker with their TLS sessions.
TEST_F(TlsTest, CoturnTcpRelayOverTls) {
  const char* uclient = "/usr/bin/turnutils_uclient";
  if (access(uclient, X_OK) != 0) {
    GTEST_SKIP() << "coturn's client tools are not installed (tools/dev setup installs them)";
  }
  start("tcp-relay\n");
  auto r = run_program({uclient, "-T", "-S", "-p", std::to_string(tls_port_), "-u", "alice", "-w",
                        "secret", "-n", "30", "-m", "4", "-l", "170", "127.0.0.1"},
                       Millis(30000));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Total lost packets 0 (0.000000%)"), std::string::npos) << r.output;
}

// --check-config reads the certificate and key as the start would.
TEST_F(TlsTest, CheckConfigReadsTheCertificate) {
  auto ok =
      run_program({turnserver_path(), "--check-config", "-c", dir_.write("ok.conf", config())});
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  auto bad =
      run_program({turnserver_path(), "--check-config", "-c",
                   dir_.write("bad.conf", config() + "pkey=" + dir_.path() + "/missing.key\n")});
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_NE(bad.output.find("missing.key"), std::string::npos) << bad.output;
}

// ec-curve-name and dh-file reach OpenSSL: a known group and RFC 7919 parameters start and
// serve; an unknown group stops the start with the name.
TEST_F(TlsTest, CurveAndDhParameters) {
  const std::string dh = dir_.path() + "/dh.pem";
  auto made = run_program({"/usr/bin/openssl", "genpkey", "-genparam", "-algorithm", "DH",
                           "-pkeyopt", "group:ffdhe2048", "-out", dh});
  ASSERT_EQ(made.exit_code, 0) << made.output;
  start("ec-curve-name=prime256v1\ndh-file=" + dh + "\n");
  std::string err;
  auto s = ClientSocket::open(Transport::kTls, tls_address(), &err);
  ASSERT_TRUE(s) << err;
  TurnClient c(std::move(*s));
  EXPECT_TRUE(c.allocate("alice", "secret", 600).ok);
  auto bad = run_program({turnserver_path(), "--check-config", "-c",
                          dir_.write("curve.conf", config() + "ec-curve-name=no-such-curve\n")});
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_NE(bad.output.find("TLS curve 'no-such-curve'"), std::string::npos) << bad.output;
}

// A certificate that cannot be read stops the start, naming the file.
TEST(TlsStart, AMissingCertificateStopsTheStartWithItsName) {
  auto r = run_program({turnserver_path(), "-n", "--listening-ip=127.0.0.1",
                        "--listening-port=" + std::to_string(free_port()),
                        "--tls-listening-port=" + std::to_string(free_port()),
                        "--cert=/nonexistent/turn.pem", "--pkey=/nonexistent/turn.key"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("TLS certificate /nonexistent/turn.pem"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace ferry::testing
