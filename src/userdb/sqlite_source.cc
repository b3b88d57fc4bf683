#include "ferry/userdb/sqlite_source.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "ferry/userdb/schema.h"

namespace ferry::userdb {

namespace {

// A worker never waits on this connection (it belongs to the refresher thread), but the poll
// should not stall behind a long writer either: past this, the round fails and the next one
// tries again.
constexpr int kBusyMs = 500;

Expected<void> require_tables(Database& db) {
  for (const char* table : {"turnusers_lt", "turn_secret"}) {
    auto has = has_table(db, table);
    if (!has) return std::move(has).failure();
    if (!*has) {
      return fail(db.path() + " has no table " + table +
                  ": not a user database (make one with turnadmin -a -b " + db.path() + " ...)");
    }
  }
  return {};
}

// Runs `sql` (when `table` exists) and hands each row to `row`, stopping at its first failure.
template <class Row>
Expected<void> each_row(Database& db, const char* table, const char* sql, Row row) {
  auto has = has_table(db, table);
  if (!has) return std::move(has).failure();
  if (!*has) return {};  // optional tables (older or trimmed databases)
  auto q = db.prepare(sql);
  if (!q) return std::move(q).failure();
  for (;;) {
    auto more = q->step();
    if (!more) return std::move(more).failure();
    if (!*more) return {};
    if (auto ok = row(*q); !ok) return ok;
  }
}

}  // namespace

Expected<std::string> SqliteSource::version() {
  struct stat st {};
  if (stat(path_.c_str(), &st) != 0) {
    const int e = errno;
    db_.reset();  // a file that comes back is a new one
    return fail(std::string("cannot stat ") + path_ + ": " + std::strerror(e));
  }
  if (!db_ || st.st_dev != dev_ || st.st_ino != ino_) {
    db_.reset();
    auto db = Database::open(path_, Database::Mode::kReadOnly, kBusyMs);
    if (!db) return std::move(db).failure();
    db_.emplace(std::move(*db));
    dev_ = st.st_dev;
    ino_ = st.st_ino;
  }
  auto q = db_->prepare("PRAGMA data_version");
  if (!q) return std::move(q).failure();
  auto row = q->step();
  if (!row) return std::move(row).failure();
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
         std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec) + ":" + std::to_string(*row ? q->integer(0) : -1);
}

Expected<void> SqliteSource::load(auth::SnapshotBuilder& into) {
  if (!db_) {
    if (auto v = version(); !v) return std::move(v).failure();
  }
  // One read transaction: the snapshot is one consistent state of the database.
  if (auto begun = db_->exec("BEGIN"); !begun) return begun;
  auto loaded = load_tables(into);
  (void)db_->exec("COMMIT");
  return loaded;
}

Expected<void> SqliteSource::load_tables(auth::SnapshotBuilder& into) {
  Database& db = *db_;
  if (auto ok = require_tables(db); !ok) return ok;
  if (auto ok = each_row(
          db, "turnusers_lt", "SELECT realm, name, hmackey FROM turnusers_lt",
          [&](const Statement& r) { return into.add_user(r.text(0), r.text(1), r.text(2)); });
      !ok) {
    return ok;
  }
  if (auto ok = each_row(db, "ferry_sha256_key",
                         "SELECT realm, name, md5key, sha256key FROM ferry_sha256_key",
                         [&](const Statement& r) -> Expected<void> {
                           into.add_sha256(r.text(0), r.text(1), r.text(2), r.text(3));
                           return {};
                         });
      !ok) {
    return ok;
  }
  if (auto ok = each_row(db, "turn_secret", "SELECT realm, value FROM turn_secret",
                         [&](const Statement& r) { return into.add_secret(r.text(0), r.text(1)); });
      !ok) {
    return ok;
  }
  if (auto ok =
          each_row(db, "allowed_peer_ip", "SELECT realm, ip_range FROM allowed_peer_ip",
                   [&](const Statement& r) { return into.add_allowed_peer(r.text(0), r.text(1)); });
      !ok) {
    return ok;
  }
  if (auto ok =
          each_row(db, "denied_peer_ip", "SELECT realm, ip_range FROM denied_peer_ip",
                   [&](const Statement& r) { return into.add_denied_peer(r.text(0), r.text(1)); });
      !ok) {
    return ok;
  }
  if (auto ok =
          each_row(db, "turn_origin_to_realm", "SELECT origin, realm FROM turn_origin_to_realm",
                   [&](const Statement& r) { return into.add_origin(r.text(0), r.text(1)); });
      !ok) {
    return ok;
  }
  return each_row(
      db, "turn_realm_option", "SELECT realm, opt, value FROM turn_realm_option",
      [&](const Statement& r) { return into.add_realm_option(r.text(0), r.text(1), r.text(2)); });
}

Expected<void> check_database(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return {};
  auto db = Database::open(path, Database::Mode::kReadOnly, kBusyMs);
  if (!db) return std::move(db).failure();
  return require_tables(*db);
}

}  // namespace ferry::userdb
