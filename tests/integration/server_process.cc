#include "server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "client/stun_binding.h"

namespace ferry::testing {

namespace {

bool port_free(int type, const char* ip, std::uint16_t port) {
  auto a = *Address::parse_ip(ip, port);
  int fd = socket(a.is_v6() ? AF_INET6 : AF_INET, type, 0);
  if (fd < 0) return false;
  sockaddr_storage ss;
  socklen_t len = a.to_sockaddr(&ss);
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0;
  close(fd);
  return ok;
}

int wait_exit(pid_t pid, Millis timeout) {
  auto deadline = Clock::now() + timeout;
  int status = 0;
  while (Clock::now() < deadline) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return -1;
    }
    std::this_thread::sleep_for(Millis(10));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -2;  // did not exit in time
}

pid_t spawn(const std::vector<std::string>& argv, const std::string& out_path) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  // The child dies with the test process, even when a failed assertion aborts it before the
  // destructor that would have stopped it runs.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  dup2(fd, 1);
  dup2(fd, 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execv(args[0], args.data());
  _exit(127);
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

std::uint16_t free_port() {
  // Ephemeral-range ports are what the kernel hands out to clients; pick from a band below it.
  // Seeded per process: ctest runs test binaries in parallel, and an unseeded rand() would hand
  // every one of them the same "free" port.
  static std::mt19937 rng(std::random_device{}() ^ static_cast<unsigned>(getpid()));
  for (int tries = 0; tries < 1000; ++tries) {
    auto port = static_cast<std::uint16_t>(20000 + rng() % 20000);
    if (port_free(SOCK_DGRAM, "127.0.0.1", port) && port_free(SOCK_STREAM, "127.0.0.1", port) &&
        port_free(SOCK_DGRAM, "::1", port) && port_free(SOCK_STREAM, "::1", port)) {
      return port;
    }
  }
  return 0;
}

std::uint16_t free_port_pair() {
  for (int tries = 0; tries < 1000; ++tries) {
    const std::uint16_t p = free_port();
    const auto next = static_cast<std::uint16_t>(p + 1);
    if (port_free(SOCK_DGRAM, "127.0.0.1", next) && port_free(SOCK_STREAM, "127.0.0.1", next) &&
        port_free(SOCK_DGRAM, "::1", next) && port_free(SOCK_STREAM, "::1", next)) {
      return p;
    }
  }
  return 0;
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/ferry-test-XXXXXX";
  path_ = mkdtemp(tmpl);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& content) const {
  std::string p = path_ + "/" + name;
  std::ofstream(p) << content;
  return p;
}

RunResult run_program(const std::vector<std::string>& argv, Millis timeout) {
  TempDir dir;
  std::string out = dir.path() + "/out.txt";
  pid_t pid = spawn(argv, out);
  RunResult r;
  r.exit_code = wait_exit(pid, timeout);
  r.output = slurp(out);
  return r;
}

std::string turnserver_path() {
  // FERRY_TURNSERVER_UNDER_TEST runs the suite against another build (e.g. to show that a
  // regression test fails on the commit before a fix).
  if (const char* other = std::getenv("FERRY_TURNSERVER_UNDER_TEST")) return other;
  return FERRY_TURNSERVER;
}

ServerProcess::ServerProcess(const std::string& config, const Address& probe) {
  std::string conf = dir_.write("turnserver.conf", config);
  log_path_ = dir_.path() + "/server.log";
  std::vector<std::string> argv{turnserver_path(), "-c", conf};
  // ctest runs the suite once per worker count (tests/integration/CMakeLists.txt); the command
  // line overrides the config file's relay-threads.
  if (const char* threads = std::getenv("FERRY_TEST_RELAY_THREADS")) {
    argv.insert(argv.end(), {"--relay-threads", threads});
  }
  pid_ = spawn(argv, log_path_);
  auto deadline = Clock::now() + Millis(10000);
  while (Clock::now() < deadline && !ready_) {
    std::string err;
    auto s = client::ClientSocket::open(Transport::kUdp, probe, &err);
    if (s) {
      client::BindingOptions o;
      o.timeout = Millis(200);
      ready_ = client::binding(*s, o, &err).has_value();
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      break;
    }
  }
}

ServerProcess::~ServerProcess() {
  stop();
}

int ServerProcess::stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int rc = wait_exit(pid_, Millis(10000));
  pid_ = -1;
  return rc;
}

std::string ServerProcess::log() const {
  return slurp(log_path_);
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv)
    : out_path_(dir_.path() + "/out.txt"), pid_(spawn(argv, out_path_)) {}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

std::string ChildProcess::output() const {
  return slurp(out_path_);
}

std::optional<TestCertificate> make_test_certificate(const TempDir& dir, std::string* log) {
  TestCertificate c{dir.path() + "/cert.pem", dir.path() + "/key.pem"};
  auto made = run_program({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                           "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", c.key, "-out",
                           c.cert, "-days", "1", "-subj", "/CN=localhost", "-addext",
                           "subjectAltName=DNS:localhost,IP:127.0.0.1"});
  *log = made.output;
  if (made.exit_code != 0) return std::nullopt;
  return c;
}

long rss_kb(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

void send_datagram_burst(const Address& to, int count, std::size_t size) {
  int out = socket(to.is_v6() ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_storage ss;
  socklen_t len = to.to_sockaddr(&ss);
  std::vector<std::uint8_t> payload(size, 0x5A);
  for (int i = 0; i < count; ++i) {
    sendto(out, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&ss), len);
    if (i % 500 == 0) std::this_thread::sleep_for(Millis(1));
  }
  close(out);
}

}  // namespace ferry::testing
