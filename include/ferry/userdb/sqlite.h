// A thin RAII layer over SQLite for the user database: one connection, prepared statements
// with bound parameters only (names and secrets are data, never SQL), errors in words that
// name the file.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "ferry/common/expected.h"

struct sqlite3;
struct sqlite3_stmt;

namespace ferry::userdb {

class Statement {
 public:
  Statement(sqlite3_stmt* stmt, std::string what) : stmt_(stmt), what_(std::move(what)) {}
  Statement(Statement&&) noexcept = default;
  Statement& operator=(Statement&&) noexcept = default;

  // Parameters count from 1, as in SQLite.
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::int64_t value);
  // true: a row is ready; false: done. A failure (busy, corrupt, I/O) says what and why.
  Expected<bool> step();
  // Runs the statement to its end (for writes).
  Expected<void> run();
  // A column of the current row; NULL reads as "" (coturn's tables allow NULLs).
  std::string_view text(int column) const;
  std::int64_t integer(int column) const;

 private:
  struct Finalize {
    void operator()(sqlite3_stmt* s) const;
  };
  std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
  std::string what_;
  bool bind_failed_ = false;
};

class Database {
 public:
  enum class Mode { kReadOnly, kReadWriteCreate };
  // `busy` bounds how long a statement waits for another connection's lock before failing.
  static Expected<Database> open(const std::string& path, Mode mode, int busy_ms);
  Database(Database&&) noexcept = default;
  Database& operator=(Database&&) noexcept = default;

  Expected<Statement> prepare(std::string_view sql);
  // Statements without parameters (schema, BEGIN/COMMIT).
  Expected<void> exec(const char* sql);
  const std::string& path() const { return path_; }
  // Rows the last INSERT, UPDATE or DELETE changed.
  std::size_t changes() const;

 private:
  struct Close {
    void operator()(sqlite3* db) const;
  };
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  std::unique_ptr<sqlite3, Close> db_;
  std::string path_;
};

}  // namespace ferry::userdb
