// A PostgreSQL connection (libpq) for the refresher thread and turnadmin. Every statement is
// sent with its values as parameters ($1, $2, ...: data, never SQL); every wait on the server
// is bounded (connect_timeout while connecting, then no more than the timeout without progress
// on a query, and a server-side statement_timeout), and a connection that failed once is
// dropped (the owner reconnects on its next use).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/common/expected.h"
#include "ferry/userdb_pg/conninfo.h"

struct pg_conn;

namespace ferry::userdb_pg {

// One row of a result: column texts (NULL reads as "").
class PgRow {
 public:
  explicit PgRow(std::vector<std::string_view> cols) : cols_(std::move(cols)) {}
  std::string_view text(std::size_t i) const { return i < cols_.size() ? cols_[i] : ""; }
  std::size_t size() const { return cols_.size(); }

 private:
  std::vector<std::string_view> cols_;
};

class PgClient {
 public:
  static Expected<PgClient> connect(const PgConnInfo& info);
  PgClient(PgClient&&) noexcept = default;
  PgClient& operator=(PgClient&&) noexcept = default;

  using OnRow = std::function<Expected<void>(const PgRow&)>;
  // Runs `sql`; each row goes to `on_row` as it arrives (one at a time: a large table is never
  // held whole). Returns the rows a write changed.
  Expected<std::size_t> run(std::string_view sql, const std::vector<std::string_view>& params = {},
                            const OnRow& on_row = {});
  // All rows of a small result.
  Expected<std::vector<std::vector<std::string>>> rows(
      std::string_view sql, const std::vector<std::string_view>& params = {});
  bool broken() const { return broken_; }

 private:
  struct Finish {
    void operator()(pg_conn* c) const;
  };
  PgClient(pg_conn* c, const PgConnInfo& info)
      : conn_(c), where_(info.described), password_(info.password), timeout_s_(info.timeout_s) {}
  Failure failure(const std::string& what);
  Expected<void> wait(bool for_write);
  std::unique_ptr<pg_conn, Finish> conn_;
  std::string where_;
  std::string password_;
  int timeout_s_;
  bool broken_ = false;
};

}  // namespace ferry::userdb_pg
