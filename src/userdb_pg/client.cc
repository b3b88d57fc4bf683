#include "ferry/userdb_pg/client.h"

#include <libpq-fe.h>
#include <poll.h>

#include <cerrno>

namespace ferry::userdb_pg {

namespace {

struct ClearResult {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ClearResult>;

// Server-side bound on any one statement (a lock held by another session, a huge table): the
// client-side bound only catches a server that stopped answering altogether.
constexpr const char* kStatementTimeout = "SET statement_timeout = 30000";

}  // namespace

void PgClient::Finish::operator()(pg_conn* c) const {
  PQfinish(c);
}

Failure PgClient::failure(const std::string& what) {
  broken_ = broken_ || PQstatus(conn_.get()) != CONNECTION_OK;
  return fail(where_ + ": " + scrub(what, password_));
}

Expected<PgClient> PgClient::connect(const PgConnInfo& info) {
  // The string as given, with Ferry's timeout after it (a later keyword wins) and a name the
  // server's pg_stat_activity shows unless the string sets one.
  const std::string timeout = std::to_string(info.timeout_s);
  const char* keys[] = {"dbname", "connect_timeout", "fallback_application_name", nullptr};
  const char* values[] = {info.conninfo.c_str(), timeout.c_str(), "ferry-turnserver", nullptr};
  PGconn* raw = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (raw == nullptr) return fail("cannot connect to " + info.described + ": out of memory");
  PgClient c(raw, info);
  if (PQstatus(raw) != CONNECTION_OK) {
    // libpq's words ("password authentication failed for user ...", "Connection refused",
    // "timeout expired"): they name the user, never the password.
    std::string why = PQerrorMessage(raw);
    return fail("cannot connect: " + scrub(why, info.password));
  }
  // Notices ("relation ... already exists, skipping") are not errors: not printed.
  PQsetNoticeProcessor(
      raw, [](void*, const char*) {}, nullptr);
  if (PQsetnonblocking(raw, 1) != 0) return c.failure("cannot use non-blocking mode");
  if (auto ok = c.run(kStatementTimeout); !ok) return std::move(ok).failure();
  return c;
}

Expected<void> PgClient::wait(bool for_write) {
  pollfd p{PQsocket(conn_.get()), static_cast<short>(POLLIN | (for_write ? POLLOUT : 0)), 0};
  if (p.fd < 0) return failure("the connection is closed");
  for (;;) {
    const int n = poll(&p, 1, timeout_s_ * 1000);
    if (n > 0) return {};
    if (n == 0) {
      broken_ = true;
      return failure("no answer within " + std::to_string(timeout_s_) + " s");
    }
    if (errno != EINTR) {
      broken_ = true;
      return failure("poll failed");
    }
  }
}

Expected<std::size_t> PgClient::run(std::string_view sql,
                                    const std::vector<std::string_view>& params,
                                    const OnRow& on_row) {
  if (broken_) return fail(where_ + ": the connection failed before");
  // libpq wants NUL-terminated values: copies (a user name never holds a NUL: argv and STUN's
  // UTF-8 USERNAME cannot carry one).
  std::vector<std::string> owned(params.begin(), params.end());
  std::vector<const char*> values;
  for (const auto& v : owned) values.push_back(v.c_str());
  const std::string text(sql);
  if (PQsendQueryParams(conn_.get(), text.c_str(), static_cast<int>(values.size()), nullptr,
                        values.data(), nullptr, nullptr, 0) == 0) {
    return failure(PQerrorMessage(conn_.get()));
  }
  if (on_row) PQsetSingleRowMode(conn_.get());
  for (;;) {
    const int flushed = PQflush(conn_.get());
    if (flushed == 0) break;
    if (flushed < 0) return failure(PQerrorMessage(conn_.get()));
    if (auto ok = wait(true); !ok) return std::move(ok).failure();
    if (PQconsumeInput(conn_.get()) == 0) return failure(PQerrorMessage(conn_.get()));
  }
  std::size_t changed = 0;
  std::string error;
  Expected<void> row_ok;
  for (;;) {
    while (PQisBusy(conn_.get()) != 0) {
      if (auto ok = wait(false); !ok) return std::move(ok).failure();
      if (PQconsumeInput(conn_.get()) == 0) return failure(PQerrorMessage(conn_.get()));
    }
    Result r(PQgetResult(conn_.get()));
    if (!r) break;  // the statement is done
    const ExecStatusType status = PQresultStatus(r.get());
    if (status == PGRES_SINGLE_TUPLE || status == PGRES_TUPLES_OK) {
      if (on_row && row_ok) {
        const int cols = PQnfields(r.get());
        for (int row = 0; row < PQntuples(r.get()) && row_ok; ++row) {
          std::vector<std::string_view> texts;
          for (int col = 0; col < cols; ++col) {
            texts.emplace_back(PQgetvalue(r.get(), row, col),
                               static_cast<std::size_t>(PQgetlength(r.get(), row, col)));
          }
          row_ok = on_row(PgRow(std::move(texts)));
        }
      }
    } else if (status == PGRES_COMMAND_OK) {
      const char* n = PQcmdTuples(r.get());
      changed = (n != nullptr && *n != '\0') ? std::stoul(n) : 0;
    } else if (error.empty()) {
      error = PQresultErrorMessage(r.get());
      if (error.empty()) error = PQresStatus(status);
    }
  }
  if (!error.empty()) return failure(error);
  if (!row_ok) return std::move(row_ok).failure();
  return changed;
}

Expected<std::vector<std::vector<std::string>>> PgClient::rows(
    std::string_view sql, const std::vector<std::string_view>& params) {
  std::vector<std::vector<std::string>> out;
  auto ran = run(sql, params, [&](const PgRow& r) -> Expected<void> {
    std::vector<std::string> row;
    for (std::size_t i = 0; i < r.size(); ++i) row.emplace_back(r.text(i));
    out.push_back(std::move(row));
    return {};
  });
  if (!ran) return std::move(ran).failure();
  return out;
}

}  // namespace ferry::userdb_pg
