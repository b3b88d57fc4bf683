// Interop with an independent TURN client: coturn's turnutils_uclient and turnutils_peer (Debian
// package `coturn`, client tools only) against the real turnserver on loopback.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include "http_client.h"
#include "server_process.h"

namespace ferry::testing {
namespace {

constexpr const char* kClient = "/usr/bin/turnutils_uclient";
constexpr const char* kPeer = "/usr/bin/turnutils_peer";

class TurnInteropTest : public ::testing::Test {
 protected:
  void SetUp() override { start("relay-ip=127.0.0.1\n", "127.0.0.1"); }

  // `relays`: the relay address lines; the echo peer listens on `peer_ip`.
  void start(const std::string& relays, const char* peer_ip) {
    if (access(kClient, X_OK) != 0 || access(kPeer, X_OK) != 0) {
      GTEST_SKIP() << "coturn's client tools are not installed (tools/dev setup installs them)";
    }
    port_ = free_port();
    do {
      peer_port_ = free_port_pair();  // the server's port is not bound yet: never P or P + 1
    } while (peer_port_ == port_ || peer_port_ + 1 == port_);
    peer_ip_ = peer_ip;
    server_ = std::make_unique<ServerProcess>(
        "listening-ip=127.0.0.1\nlistening-port=" + std::to_string(port_) + "\n" + relays +
            "min-port=42000\nmax-port=42999\nrealm=example.org\n" +
            // No channel-number option: turnutils_uclient draws from RFC 5766's
            // 0x4000-0x7FFF, which is the default.
            credentials() + "allow-loopback-peers\nrelay-threads=2\ntcp-relay\n",
        *Address::parse_ip("127.0.0.1", port_));
    ASSERT_TRUE(server_->ready()) << server_->log();
    peer_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{kPeer, "-L", peer_ip_, "-p", std::to_string(peer_port_)});
    std::this_thread::sleep_for(Millis(200));
  }

  // The configuration lines that give the server its credentials.
  virtual std::string credentials() const { return "user=alice:secret\n"; }

  // Without -c each client allocates an RTP/RTCP pair: EVEN-PORT with the R bit, then an
  // Allocate presenting the RESERVATION-TOKEN (RFC 8656 §7.2). -e/-r: the echo peer.
  RunResult uclient(const std::vector<std::string>& extra, const char* password = "secret") {
    std::vector<std::string> argv{kClient, "-p", std::to_string(port_), "-u", "alice"};
    // -W: a TURN REST secret instead of a password (the client mints its own credential).
    if (std::find(extra.begin(), extra.end(), "-W") == extra.end()) {
      argv.insert(argv.end(), {"-w", password});
    }
    argv.insert(argv.end(), {"-e", peer_ip_, "-r", std::to_string(peer_port_), "-n", "30", "-m",
                             "3", "-l", "170"});
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back("127.0.0.1");
    return run_program(argv, Millis(30000));
  }

  // 3 clients x 30 packets (plus their RTCP companions), every one echoed back: the closing
  // "start_mclient: tot_send_msgs=S, tot_recv_msgs=R" line has R == S >= 90, and no loss.
  static void expect_no_loss(const RunResult& r) {
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("Total lost packets 0 (0.000000%)"), std::string::npos) << r.output;
    const std::string key = "start_mclient: tot_send_msgs=";
    auto at = r.output.rfind(key);
    ASSERT_NE(at, std::string::npos) << r.output;
    long sent = 0;
    long received = 0;
    ASSERT_EQ(
        std::sscanf(r.output.c_str() + at + key.size(), "%ld, tot_recv_msgs=%ld", &sent, &received),
        2)
        << r.output;
    EXPECT_GE(sent, 90) << r.output;
    EXPECT_EQ(received, sent) << r.output;
  }

  std::uint16_t port_ = 0;
  std::uint16_t peer_port_ = 0;
  std::string peer_ip_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<ChildProcess> peer_;
};

TEST_F(TurnInteropTest, SendIndicationsOverUdpWithoutLoss) {
  expect_no_loss(uclient({"-s"}));
}

TEST_F(TurnInteropTest, SendIndicationsOverTcpWithoutLoss) {
  expect_no_loss(uclient({"-s", "-t"}));
}

TEST_F(TurnInteropTest, ChannelsOverUdpWithoutLoss) {
  expect_no_loss(uclient({}));
}

TEST_F(TurnInteropTest, ChannelsOverTcpWithoutLoss) {
  expect_no_loss(uclient({"-t"}));
}

// RFC 6062: -T implies -t and -y: the clients pair up, each Connects to its partner's TCP
// relayed address, the partner gets a ConnectionAttempt, and both bind data connections
// (landing on either worker: the server hands them to the allocation's).
TEST_F(TurnInteropTest, TcpRelayWithoutLoss) {
  expect_no_loss(uclient({"-T", "-m", "4"}));
}

// -x: REQUESTED-ADDRESS-FAMILY IPv6 from an IPv4 control connection (RFC 8656 §7.2), each
// client's RTP/RTCP pair of IPv6 relays (EVEN-PORT with R, then its RESERVATION-TOKEN) relaying
// to an echo peer on ::1.
class TurnInteropIpv6Test : public TurnInteropTest {
 protected:
  void SetUp() override { start("relay-ip=127.0.0.1\nrelay-ip=::1\n", "::1"); }
};

TEST_F(TurnInteropIpv6Test, Ipv6RelaysOverUdpWithoutLoss) {
  expect_no_loss(uclient({"-x"}));
}

TEST_F(TurnInteropIpv6Test, Ipv6RelaysOverTcpWithSendIndicationsWithoutLoss) {
  expect_no_loss(uclient({"-x", "-t", "-s"}));
}

TEST_F(TurnInteropTest, WrongPasswordCannotAllocate) {
  auto r = uclient({"-s"}, "wrong");
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Cannot complete Allocation"), std::string::npos) << r.output;
}

// Realms with coturn's own client: turnutils_uclient -o sends ORIGIN, which a database made by
// our turnadmin maps to realm b.example, where alice has another password than in the
// configured realm.
class TurnInteropRealmTest : public TurnInteropTest {
 protected:
  void SetUp() override {
    if (access(kClient, X_OK) != 0) GTEST_SKIP() << "coturn's client tools are not installed";
    for (std::vector<std::string> args :
         {std::vector<std::string>{"-a", "-u", "alice", "-r", "b.example", "-p", "b-secret"},
          std::vector<std::string>{"-O", "-o", "https://b.example", "-r", "b.example"}}) {
      args.insert(args.begin(), FERRY_TURNADMIN);
      args.insert(args.end(), {"-b", dir_.path() + "/turndb"});
      auto r = run_program(args);
      ASSERT_EQ(r.exit_code, 0) << r.output;
    }
    TurnInteropTest::SetUp();
  }
  std::string credentials() const override {
    return "user=alice:secret\nuserdb=" + dir_.path() + "/turndb\n";
  }
  TempDir dir_;
};

TEST_F(TurnInteropRealmTest, UclientOriginSelectsTheRealm) {
  expect_no_loss(uclient({"-o", "https://b.example"}, "b-secret"));
  auto wrong = uclient({"-s", "-o", "https://b.example"}, "secret");
  EXPECT_NE(wrong.exit_code, 0) << wrong.output;
  expect_no_loss(uclient({"-s"}, "secret"));  // no ORIGIN: the configured realm
}

// The TURN REST API as coturn's own client implements it (-W SECRET: the client makes the user
// name "<expiry>:<user>" and its password itself). Two secrets (rotation), a separator other
// than ':' (rest-api-separator / -C).
class TurnInteropRestTest : public TurnInteropTest {
 protected:
  std::string credentials() const override {
    return "static-auth-secret=" + std::string(kOld) + "\nstatic-auth-secret=" + kNew +
           "\nrest-api-separator=-\n";
  }
  static constexpr const char* kOld = "0ld5ecret0ld5ecret0ld5ecret0ld5ecret";
  static constexpr const char* kNew = "n3w5ecretn3w5ecretn3w5ecretn3w5ecret";
};

TEST_F(TurnInteropRestTest, RestCredentialsRelayWithEitherSecret) {
  expect_no_loss(uclient({"-W", kOld, "-C", "-"}));
  expect_no_loss(uclient({"-W", kNew, "-C", "-", "-t"}));
}

TEST_F(TurnInteropRestTest, AnotherSecretOrSeparatorCannotAllocate) {
  for (const auto& extra : {std::vector<std::string>{"-W", "an0ther5ecretan0ther5ecret", "-C", "-"},
                            std::vector<std::string>{"-W", kOld}}) {  // ':' is not the separator
    auto r = uclient(extra);
    EXPECT_NE(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("Cannot complete Allocation"), std::string::npos) << r.output;
  }
}

// RFC 8016: -M asks for a MOBILITY-TICKET in each Allocate, then refreshes from a new socket
// (a new source port: a new 5-tuple, hashed to either worker) with the ticket, and relays on.
class TurnInteropMobilityTest : public TurnInteropTest {
 protected:
  void SetUp() override {
    web_ = free_port();
    start("relay-ip=127.0.0.1\nmobility\nprometheus\nweb-listening-port=" + std::to_string(web_) +
              "\n",
          "127.0.0.1");
  }
  std::uint16_t web_ = 0;
};

TEST_F(TurnInteropMobilityTest, MovedAllocationsRelayWithoutLoss) {
  auto r = uclient({"-M"});
  expect_no_loss(r);
  EXPECT_EQ(r.output.find("read_mobility_ticket: ERROR"), std::string::npos) << r.output;
  expect_no_loss(uclient({"-M", "-c", "-s"}));
  auto metrics = http_get(*Address::parse_ip("127.0.0.1", web_), "/metrics");
  ASSERT_TRUE(metrics);
  // Every client moved its allocation at least once; none was refused.
  EXPECT_EQ(metrics->body.find("ferry_mobility_moves_total 0\n"), std::string::npos)
      << metrics->body;
  EXPECT_NE(metrics->body.find("ferry_mobility_refused_total{reason=\"bad_ticket\"} 0\n"),
            std::string::npos)
      << metrics->body;
}

// Without `mobility` (the default) the ticket request is refused 405 (RFC 8016 §3.4), as coturn
// refuses it, and the client gives up.
TEST_F(TurnInteropTest, MobilityOffIsRefused405) {
  auto r = uclient({"-M"});
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("405"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace ferry::testing
