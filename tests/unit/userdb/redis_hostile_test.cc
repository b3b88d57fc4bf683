// The Redis source against a server that is not Redis (a buggy proxy, anything answering RESP
// on the port): a scripted RESP server on loopback. Abuse case: SCAN's cursor never comes back
// to 0. On 8064314 the walk had no bound, so the refresher thread spun for as long as the server
// answered (the database then failed closed after userdb-max-stale, and never recovered).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "ferry/auth/userdb_snapshot.h"
#include "ferry/userdb_redis/redis_source.h"

namespace ferry::userdb_redis {
namespace {

// Answers every command on one connection: SCAN with the cursor "7" and no keys (until
// `scan_limit` SCANs, then "0", so that an unbounded walk still ends and the test can say how
// many it took), DBSIZE with `dbsize`, anything else with +OK.
class EndlessScanServer {
 public:
  explicit EndlessScanServer(long long dbsize, int scan_limit)
      : dbsize_(dbsize), scan_limit_(scan_limit) {
    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(listener_, 1);
    socklen_t len = sizeof a;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~EndlessScanServer() {
    shutdown(listener_, SHUT_RDWR);
    close(listener_);
    thread_.join();
  }
  std::uint16_t port() const { return port_; }
  int scans() const { return scans_.load(); }

 private:
  void serve() {
    const int fd = accept(listener_, nullptr, nullptr);
    if (fd < 0) return;
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string in;
    char buf[4096];
    for (;;) {
      // One command: *N then N bulk strings (what hiredis sends).
      std::vector<std::string> args;
      if (!read_command(fd, in, buf, args)) break;
      std::string out;
      if (!args.empty() && args[0] == "SCAN") {
        const bool last = ++scans_ >= scan_limit_;
        out = last ? "*2\r\n$1\r\n0\r\n*0\r\n" : "*2\r\n$1\r\n7\r\n*0\r\n";
      } else if (!args.empty() && args[0] == "DBSIZE") {
        out = ":" + std::to_string(dbsize_) + "\r\n";
      } else {
        out = "+OK\r\n";
      }
      if (send(fd, out.data(), out.size(), MSG_NOSIGNAL) < 0) break;
    }
    close(fd);
  }
  static bool read_line(int fd, std::string& in, char* buf, std::string& line) {
    for (;;) {
      if (auto nl = in.find("\r\n"); nl != std::string::npos) {
        line = in.substr(0, nl);
        in.erase(0, nl + 2);
        return true;
      }
      const ssize_t n = recv(fd, buf, 4096, 0);
      if (n <= 0) return false;
      in.append(buf, static_cast<std::size_t>(n));
    }
  }
  static bool read_command(int fd, std::string& in, char* buf, std::vector<std::string>& args) {
    std::string line;
    if (!read_line(fd, in, buf, line) || line.empty() || line[0] != '*') return false;
    const int n = std::stoi(line.substr(1));
    for (int i = 0; i < n; ++i) {
      if (!read_line(fd, in, buf, line)) return false;  // $len
      if (!read_line(fd, in, buf, line)) return false;  // the argument (no CRLF inside here)
      args.push_back(line);
    }
    return true;
  }
  long long dbsize_;
  int scan_limit_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<int> scans_{0};
  std::thread thread_;
};

TEST(RedisSourceHostile, ScanWhoseCursorNeverEndsIsBounded) {
  EndlessScanServer server(/*dbsize=*/10, /*scan_limit=*/50'000);
  RedisConnInfo info;
  info.host = "127.0.0.1";
  info.port = server.port();
  info.timeout_s = 2;
  RedisSource source(info);
  auth::SnapshotBuilder builder(auth::SnapshotLimits{});
  auto loaded = source.load(builder);
  EXPECT_FALSE(loaded) << "a walk that never ended was taken as complete";
  if (!loaded) {
    EXPECT_NE(loaded.error().find("SCAN"), std::string::npos) << loaded.error();
  }
  // A database of 10 keys is walked in one step by Redis; a few thousand is the bound's margin.
  EXPECT_LT(server.scans(), 10'000);
}

}  // namespace
}  // namespace ferry::userdb_redis
