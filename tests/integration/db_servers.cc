#include "db_servers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>

namespace ferry::testing {

namespace {

constexpr const char* kRedisServer = "/usr/bin/redis-server";
constexpr const char* kPgBin = "/usr/lib/postgresql/15/bin";
constexpr const char* kSetpriv = "/usr/bin/setpriv";
constexpr const char* kPsql = "/usr/bin/psql";
constexpr uid_t kNobody = 65534;

pid_t spawn_logged(const std::vector<std::string>& argv, const std::string& log) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlives the test
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0666);
  dup2(fd, 1);
  dup2(fd, 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execv(args[0], args.data());
  _exit(127);
}

// Polls a TCP connect to 127.0.0.1:port until it is accepted or `pid` exits (bounded).
bool wait_listening(std::uint16_t port, pid_t pid, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) return false;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// SIGINT or SIGTERM, then SIGKILL when it takes more than 10 s.
void stop_process(pid_t& pid, int sig) {
  if (pid <= 0) return;
  kill(pid, sig);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < until) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) {
      pid = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  pid = -1;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

std::string redis_unavailable() {
  if (access(kRedisServer, X_OK) != 0)
    return "redis-server is not installed (apt-get install redis-server)";
  return {};
}

std::string postgres_unavailable() {
  if (access((std::string(kPgBin) + "/postgres").c_str(), X_OK) != 0) {
    return std::string("PostgreSQL 15 is not installed in ") + kPgBin +
           " (apt-get install postgresql)";
  }
  if (getuid() == 0 && access(kSetpriv, X_OK) != 0) {
    return "running as root without setpriv: PostgreSQL refuses to run as root";
  }
  return {};
}

RedisServer::RedisServer() : port_(free_port()) {
  if (redis_unavailable().empty()) start();
}

RedisServer::~RedisServer() {
  stop();
}

std::string RedisServer::why() const {
  return "redis-server did not start: " + slurp(dir_.path() + "/redis.log");
}

std::string RedisServer::conninfo(int db, const std::string& password) const {
  return "ip=127.0.0.1 dbname=" + std::to_string(db) + " password=" + password +
         " port=" + std::to_string(port_) + " connect_timeout=2";
}

bool RedisServer::start() {
  stop();
  pid_ = spawn_logged(
      {kRedisServer, "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "",
       "--appendonly", "no", "--requirepass", kPassword, "--dir", dir_.path(), "--daemonize", "no"},
      dir_.path() + "/redis.log");
  if (!wait_listening(port_, pid_, std::chrono::seconds(10))) stop();
  return running();
}

void RedisServer::stop() {
  stop_process(pid_, SIGTERM);
}

std::vector<std::string> PostgresServer::as_postgres(std::vector<std::string> argv) const {
  if (getuid() != 0) return argv;
  argv.insert(argv.begin(), {kSetpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--"});
  return argv;
}

PostgresServer::PostgresServer() : data_(dir_.path() + "/data"), port_(free_port()) {
  why_ = postgres_unavailable();
  if (!why_.empty()) return;
  if (getuid() == 0 && chown(dir_.path().c_str(), kNobody, kNobody) != 0) {
    why_ = "cannot hand " + dir_.path() + " to nobody";
    return;
  }
  const std::string pwfile = dir_.path() + "/pw";
  { std::ofstream(pwfile) << kPassword << "\n"; }
  if (getuid() == 0) (void)chown(pwfile.c_str(), kNobody, kNobody);
  // -N: no fsync (a test database); scram-sha-256 over TCP, as a real server would ask.
  auto init = run_program(
      as_postgres({std::string(kPgBin) + "/initdb", "-D", data_, "-U", kUser,
                   "--auth=scram-sha-256", "--pwfile=" + pwfile, "-N", "-E", "UTF8", "--locale=C"}),
      Millis(60000));
  if (init.exit_code != 0) {
    why_ = "initdb failed: " + init.output;
    return;
  }
  if (!start()) return;
  auto made = psql("CREATE DATABASE turn", "postgres");
  if (made.exit_code != 0) why_ = "CREATE DATABASE failed: " + made.output;
}

PostgresServer::~PostgresServer() {
  stop();
}

bool PostgresServer::start() {
  stop();
  pid_ = spawn_logged(as_postgres({std::string(kPgBin) + "/postgres", "-D", data_, "-k",
                                   dir_.path(), "-h", "127.0.0.1", "-p", std::to_string(port_),
                                   "-c", "fsync=off", "-c", "full_page_writes=off"}),
                      dir_.path() + "/postgres.log");
  if (!wait_listening(port_, pid_, std::chrono::seconds(20))) {
    stop();
    why_ = "postgres did not start: " + slurp(dir_.path() + "/postgres.log");
    return false;
  }
  // Accepting TCP is not yet accepting logins: wait for a query to work.
  for (int i = 0; i < 100; ++i) {
    if (psql("SELECT 1", "postgres").exit_code == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  why_ = "postgres does not answer: " + slurp(dir_.path() + "/postgres.log");
  return false;
}

void PostgresServer::stop() {
  stop_process(pid_, SIGINT);  // PostgreSQL's fast shutdown
}

std::string PostgresServer::conninfo(const std::string& password) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=turn user=" + kUser +
         " password=" + password + " connect_timeout=2";
}

RunResult PostgresServer::psql(const std::string& sql, const std::string& db) const {
  return run_program({"/usr/bin/env", std::string("PGPASSWORD=") + kPassword, kPsql, "-X", "-q",
                      "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", std::to_string(port_), "-U",
                      kUser, "-d", db, "-At", "-c", sql},
                     Millis(20000));
}

RunResult PostgresServer::psql_file(const std::string& file) const {
  return run_program({"/usr/bin/env", std::string("PGPASSWORD=") + kPassword, kPsql, "-X", "-q",
                      "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", std::to_string(port_), "-U",
                      kUser, "-d", "turn", "-f", file},
                     Millis(20000));
}

SilentListener::SilentListener() {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 || listen(fd_, 16) != 0 ||
      getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    return;
  }
  port_ = ntohs(a.sin_port);
  thread_ = std::thread([this] {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      const int c = accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      conns_.push_back(c);  // held open, read by nobody, never answered
      ++accepted_;
    }
  });
}

SilentListener::~SilentListener() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  for (int c : conns_) close(c);
  if (fd_ >= 0) close(fd_);
}

}  // namespace ferry::testing
