// Real database servers for the shared user database tests: a redis-server and a PostgreSQL
// (Debian's packages), each on a free loopback port with a password, in a temporary directory,
// stopped by the destructor and bounded in time. PostgreSQL refuses to run as root: when the
// tests do, initdb and postgres run as the user nobody (setpriv, which execs without forking,
// so the process the test stops is postgres itself).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "server_process.h"

namespace ferry::testing {

// Why a database server cannot be run here (empty: it can), for GTEST_SKIP.
std::string redis_unavailable();
std::string postgres_unavailable();

class RedisServer {
 public:
  static constexpr const char* kPassword = "redis-test-pw-0123";
  RedisServer();
  ~RedisServer();
  // Started and accepting connections (else why() says what went wrong).
  bool running() const { return pid_ > 0; }
  std::string why() const;
  std::uint16_t port() const { return port_; }
  // redis-userdb's value: "ip=127.0.0.1 dbname=DB password=... port=P connect_timeout=2".
  std::string conninfo(int db = 0, const std::string& password = kPassword) const;
  void stop();
  bool start();  // again, on the same port (the data are gone: nothing is saved)

 private:
  TempDir dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

class PostgresServer {
 public:
  static constexpr const char* kPassword = "pg-test-pw-0123";
  static constexpr const char* kUser = "ferry";
  PostgresServer();  // initdb, start, CREATE DATABASE turn
  ~PostgresServer();
  bool running() const { return pid_ > 0; }
  const std::string& why() const { return why_; }
  std::uint16_t port() const { return port_; }
  // psql-userdb's value for the database `turn`.
  std::string conninfo(const std::string& password = kPassword) const;
  // psql's output, run with the test password.
  RunResult psql(const std::string& sql, const std::string& db = "turn") const;
  RunResult psql_file(const std::string& file) const;
  void stop();
  bool start();  // again, on the same port and data (what was written is still there)

 private:
  std::vector<std::string> as_postgres(std::vector<std::string> argv) const;
  TempDir dir_;
  std::string data_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::string why_;
};

// A TCP listener on 127.0.0.1 that accepts connections and never answers: a hung database.
class SilentListener {
 public:
  SilentListener();
  ~SilentListener();
  std::uint16_t port() const { return port_; }
  int accepted() const { return accepted_.load(); }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::vector<int> conns_;
  std::thread thread_;
};

}  // namespace ferry::testing
