// Starts the real turnserver binary on free loopback ports for integration tests, and stops it
// with SIGTERM (checking that it exits cleanly).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "ferry/common/address.h"
#include "ferry/common/time.h"

namespace ferry::testing {

// A port free for both UDP and TCP on 127.0.0.1 and ::1 right now (a small race is accepted).
std::uint16_t free_port();
// A port P with P + 1 free too: coturn's turnutils_peer listens on both (RTP and RTCP) and
// turnutils_uclient relays to both, so P + 1 must not be a port of the server under test
// (its own endpoints are refused as peers: 403) nor another process's.
std::uint16_t free_port_pair();

// A fresh temporary directory, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs a program to completion (bounded by `timeout`), capturing its output.
RunResult run_program(const std::vector<std::string>& argv, Millis timeout = Millis(20000));

// A self-signed EC certificate for CN=localhost, valid a day, made with the openssl CLI in
// `dir` (cert.pem, key.pem); nullopt, with openssl's output in `log`, when that fails. It names
// localhost and 127.0.0.1 as subjectAltName too: clients that verify the host name (Go's
// crypto/tls, browsers) ignore the CN (RFC 6125 §6.4.4).
struct TestCertificate {
  std::string cert;
  std::string key;
};
std::optional<TestCertificate> make_test_certificate(const TempDir& dir, std::string* log);

std::string turnserver_path();

// How much a server's RSS may grow in the memory tests. AddressSanitizer keeps freed memory
// in quarantine (up to 256 MB), so there RSS follows churn, not what is held: the bound is
// looser, still far below what an unbounded buffer reaches (644 MB in 2 s on 7b1c093).
#if defined(__SANITIZE_ADDRESS__)
constexpr long kRssGrowthKb = 48 * 1024;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr long kRssGrowthKb = 48 * 1024;
#else
constexpr long kRssGrowthKb = 4 * 1024;
#endif
#else
constexpr long kRssGrowthKb = 4 * 1024;
#endif

// Resident memory of a process, in kB (VmRSS); -1 when it cannot be read.
long rss_kb(pid_t pid);

// `count` datagrams of `size` bytes to `to` from 127.0.0.1, at up to the loopback's pace (the
// memory tests' load toward a client that does not read: 40 MB by default), bounded in count.
void send_datagram_burst(const Address& to, int count = 40000, std::size_t size = 1000);

// Any helper program (a UDP peer, coturn's tools) running for the length of a test; killed
// by the destructor.
class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  std::string output() const;

 private:
  TempDir dir_;
  std::string out_path_;
  pid_t pid_ = -1;
};

class ServerProcess {
 public:
  // Starts `turnserver -c <dir>/turnserver.conf` with `config` written there, then waits until
  // a Binding over UDP to `probe` answers (or fails the wait).
  ServerProcess(const std::string& config, const Address& probe);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool ready() const { return ready_; }
  // SIGTERM and wait; returns the exit code (or 128+signal).
  int stop();
  std::string log() const;
  pid_t pid() const { return pid_; }

 private:
  TempDir dir_;
  std::string log_path_;
  pid_t pid_ = -1;
  bool ready_ = false;
};

}  // namespace ferry::testing
