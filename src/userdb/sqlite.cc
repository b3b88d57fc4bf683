#include "ferry/userdb/sqlite.h"

#include <sqlite3.h>

#include <limits>

namespace ferry::userdb {

void Statement::Finalize::operator()(sqlite3_stmt* s) const {
  sqlite3_finalize(s);
}

void Database::Close::operator()(sqlite3* db) const {
  sqlite3_close_v2(db);
}

Statement& Statement::bind(int index, std::string_view text) {
  // SQLITE_TRANSIENT: SQLite copies the bytes; any byte, NUL included, is data.
  if (text.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
      sqlite3_bind_text(stmt_.get(), index, text.data(), static_cast<int>(text.size()),
                        SQLITE_TRANSIENT) != SQLITE_OK) {
    bind_failed_ = true;
  }
  return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
  if (sqlite3_bind_int64(stmt_.get(), index, value) != SQLITE_OK) bind_failed_ = true;
  return *this;
}

Expected<bool> Statement::step() {
  if (bind_failed_) return fail(what_ + ": a value could not be bound");
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return fail(what_ + ": " + sqlite3_errmsg(sqlite3_db_handle(stmt_.get())));
}

Expected<void> Statement::run() {
  for (;;) {
    auto row = step();
    if (!row) return std::move(row).failure();
    if (!*row) return {};
  }
}

std::string_view Statement::text(int column) const {
  const auto* p = sqlite3_column_text(stmt_.get(), column);
  if (p == nullptr) return {};
  const int n = sqlite3_column_bytes(stmt_.get(), column);
  return {reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)};
}

std::int64_t Statement::integer(int column) const {
  return sqlite3_column_int64(stmt_.get(), column);
}

Expected<Database> Database::open(const std::string& path, Mode mode, int busy_ms) {
  const int flags = (mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY
                                             : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_NOMUTEX;
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Database db(raw, path);
  if (rc != SQLITE_OK) {
    return fail("cannot open SQLite database " + path + ": " +
                (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, busy_ms);
  return db;
}

std::size_t Database::changes() const {
  return static_cast<std::size_t>(sqlite3_changes(db_.get()));
}

Expected<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc =
      sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return fail(path_ + ": " + sqlite3_errmsg(db_.get()));
  }
  return Statement(stmt, path_);
}

Expected<void> Database::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_.get(), sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string why = err != nullptr ? err : sqlite3_errmsg(db_.get());
    sqlite3_free(err);
    return fail(path_ + ": " + why);
  }
  return {};
}

}  // namespace ferry::userdb
