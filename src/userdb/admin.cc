#include "ferry/userdb/admin.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <initializer_list>

#include "ferry/auth/long_term_key.h"
#include "ferry/auth/origin.h"
#include "ferry/userdb/schema.h"

namespace ferry::userdb {

namespace {

constexpr int kAdminBusyMs = 5000;

template <std::size_t N>
std::string hex(const std::array<std::uint8_t, N>& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * N);
  for (auto b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

// A statement with its parameters bound, run to the end; the rows it changed.
Expected<std::size_t> change(Database& db, std::string_view sql,
                             std::initializer_list<std::string_view> params) {
  auto q = db.prepare(sql);
  if (!q) return std::move(q).failure();
  int i = 1;
  for (auto p : params) q->bind(i++, p);
  if (auto ran = q->run(); !ran) return std::move(ran).failure();
  return db.changes();
}

Expected<std::vector<Row>> rows(Database& db, std::string_view sql,
                                std::optional<std::string_view> realm, int columns) {
  auto q = db.prepare(sql);
  if (!q) return std::move(q).failure();
  if (realm) q->bind(1, *realm);
  std::vector<Row> out;
  for (;;) {
    auto more = q->step();
    if (!more) return std::move(more).failure();
    if (!*more) return out;
    Row r{std::string(q->text(0)), std::string(q->text(1)), {}};
    if (columns > 2) r.value = std::string(q->text(2));
    out.push_back(std::move(r));
  }
}

// BEGIN IMMEDIATE ... COMMIT around `body`, rolled back when it fails.
template <class Body>
Expected<void> transaction(Database& db, Body body) {
  if (auto begun = db.exec("BEGIN IMMEDIATE"); !begun) return begun;
  if (auto done = body(); !done) {
    (void)db.exec("ROLLBACK");
    return done;
  }
  return db.exec("COMMIT");
}

}  // namespace

std::string md5_key_hex(std::string_view name, std::string_view realm, std::string_view password) {
  return hex(auth::md5_key(name, realm, password));
}

std::string sha256_key_hex(std::string_view name, std::string_view realm,
                           std::string_view password) {
  return hex(auth::sha256_key(name, realm, password));
}

namespace {

// A new database file, made before SQLite opens it (an empty file is an empty database): mode
// 0600, because its keys are password-equivalent and its secrets mint any credential (SQLite
// would make it 0644 under the usual umask). Run as root in a directory another user owns (the
// server's, as /var/lib/turn), the file goes to that user, or the server could not read it.
// SQLite gives its journal files the database file's mode and owner. An existing file (or a
// symlink, followed by SQLite as before) is left as it is.
Expected<void> create_private_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno != EEXIST) return fail("cannot create " + path + ": " + std::strerror(errno));
    // A symlink to nothing "exists" for O_EXCL, and SQLite would follow it and create its
    // target with the usual 0644: refuse rather than make a world-readable key file elsewhere.
    struct stat target {};
    if (stat(path.c_str(), &target) != 0 && errno == ENOENT) {
      return fail("refusing to create " + path +
                  " through a symlink to a file that does not "
                  "exist; create the target first or name it directly");
    }
    return {};
  }
  struct stat dir {};
  const std::string parent = std::filesystem::path(path).parent_path().string();
  if (geteuid() == 0 && stat(parent.empty() ? "." : parent.c_str(), &dir) == 0 && dir.st_uid != 0 &&
      fchown(fd, dir.st_uid, dir.st_gid) != 0) {
    const int e = errno;
    ::close(fd);
    return fail("cannot give " + path + " to the owner of its directory: " + std::strerror(e));
  }
  ::close(fd);
  return {};
}

}  // namespace

Expected<Database> open_for_admin(const std::string& path) {
  if (auto made = create_private_file(path); !made) return std::move(made).failure();
  auto db = Database::open(path, Database::Mode::kReadWriteCreate, kAdminBusyMs);
  if (!db) return db;
  if (auto made = create_schema(*db); !made) return std::move(made).failure();
  return db;
}

Expected<void> add_user(Database& db, std::string_view realm, std::string_view name,
                        std::string_view password) {
  const std::string md5 = md5_key_hex(name, realm, password);
  const std::string sha256 = sha256_key_hex(name, realm, password);
  return transaction(db, [&]() -> Expected<void> {
    auto lt =
        change(db, "INSERT OR REPLACE INTO turnusers_lt (realm, name, hmackey) VALUES (?, ?, ?)",
               {realm, name, md5});
    if (!lt) return std::move(lt).failure();
    auto sha = change(db,
                      "INSERT OR REPLACE INTO ferry_sha256_key (realm, name, md5key, sha256key) "
                      "VALUES (?, ?, ?, ?)",
                      {realm, name, md5, sha256});
    if (!sha) return std::move(sha).failure();
    return {};
  });
}

Expected<bool> delete_user(Database& db, std::string_view realm, std::string_view name) {
  std::size_t n = 0;
  auto done = transaction(db, [&]() -> Expected<void> {
    auto lt = change(db, "DELETE FROM turnusers_lt WHERE realm = ? AND name = ?", {realm, name});
    if (!lt) return std::move(lt).failure();
    n = *lt;
    auto sha =
        change(db, "DELETE FROM ferry_sha256_key WHERE realm = ? AND name = ?", {realm, name});
    if (!sha) return std::move(sha).failure();
    return {};
  });
  if (!done) return std::move(done).failure();
  return n > 0;
}

Expected<std::vector<Row>> list_users(Database& db, std::optional<std::string_view> realm) {
  return rows(db,
              realm ? "SELECT realm, name FROM turnusers_lt WHERE realm = ? ORDER BY realm, name"
                    : "SELECT realm, name FROM turnusers_lt ORDER BY realm, name",
              realm, 2);
}

Expected<void> add_secret(Database& db, std::string_view realm, std::string_view secret) {
  auto n = change(db, "INSERT OR REPLACE INTO turn_secret (realm, value) VALUES (?, ?)",
                  {realm, secret});
  if (!n) return std::move(n).failure();
  return {};
}

Expected<bool> delete_secret(Database& db, std::string_view realm, std::string_view secret) {
  auto n = change(db, "DELETE FROM turn_secret WHERE realm = ? AND value = ?", {realm, secret});
  if (!n) return std::move(n).failure();
  return *n > 0;
}

Expected<std::size_t> delete_all_secrets(Database& db, std::optional<std::string_view> realm) {
  if (realm) return change(db, "DELETE FROM turn_secret WHERE realm = ?", {*realm});
  return change(db, "DELETE FROM turn_secret", {});
}

Expected<std::vector<Row>> list_secrets(Database& db, std::optional<std::string_view> realm) {
  return rows(db,
              realm ? "SELECT realm, value FROM turn_secret WHERE realm = ? ORDER BY realm, value"
                    : "SELECT realm, value FROM turn_secret ORDER BY realm, value",
              realm, 2);
}

std::string normalize_origin(std::string_view origin) {
  // The form the server matches ORIGINs in (auth::canonical_origin: coturn's, lower case, the
  // default port filled in); text that is no origin is stored as given, as coturn does.
  auth::OriginBuffer buf;
  const auto canonical = auth::canonical_origin(origin, buf);
  return std::string(canonical ? *canonical : origin);
}

Expected<void> add_origin(Database& db, std::string_view origin, std::string_view realm) {
  const std::string normal = normalize_origin(origin);
  auto n = change(db, "INSERT OR REPLACE INTO turn_origin_to_realm (origin, realm) VALUES (?, ?)",
                  {normal, realm});
  if (!n) return std::move(n).failure();
  return {};
}

Expected<bool> delete_origin(Database& db, std::string_view origin) {
  const std::string normal = normalize_origin(origin);
  auto n = change(db, "DELETE FROM turn_origin_to_realm WHERE origin = ?", {normal});
  if (!n) return std::move(n).failure();
  return *n > 0;
}

Expected<std::vector<Row>> list_origins(Database& db, std::optional<std::string_view> realm) {
  return rows(db,
              realm ? "SELECT realm, origin FROM turn_origin_to_realm WHERE realm = ? "
                      "ORDER BY realm, origin"
                    : "SELECT realm, origin FROM turn_origin_to_realm ORDER BY realm, origin",
              realm, 2);
}

Expected<void> set_realm_option(Database& db, std::string_view realm, std::string_view opt,
                                std::int64_t value) {
  Expected<std::size_t> n =
      value == 0
          ? change(db, "DELETE FROM turn_realm_option WHERE realm = ? AND opt = ?", {realm, opt})
          : change(db,
                   "INSERT OR REPLACE INTO turn_realm_option (realm, opt, value) "
                   "VALUES (?, ?, ?)",
                   {realm, opt, std::to_string(value)});
  if (!n) return std::move(n).failure();
  return {};
}

Expected<std::vector<Row>> list_realm_options(Database& db, std::optional<std::string_view> realm) {
  return rows(db,
              realm ? "SELECT realm, opt, value FROM turn_realm_option WHERE realm = ? "
                      "ORDER BY realm, opt"
                    : "SELECT realm, opt, value FROM turn_realm_option ORDER BY realm, opt",
              realm, 3);
}

namespace {

class SqliteAdmin final : public AdminStore {
 public:
  explicit SqliteAdmin(Database db) : db_(std::move(db)) {}
  Expected<void> add_user(std::string_view realm, std::string_view name,
                          std::string_view password) override {
    return userdb::add_user(db_, realm, name, password);
  }
  Expected<bool> delete_user(std::string_view realm, std::string_view name) override {
    return userdb::delete_user(db_, realm, name);
  }
  Expected<std::vector<Row>> list_users(std::optional<std::string_view> realm) override {
    return userdb::list_users(db_, realm);
  }
  Expected<void> add_secret(std::string_view realm, std::string_view secret) override {
    return userdb::add_secret(db_, realm, secret);
  }
  Expected<bool> delete_secret(std::string_view realm, std::string_view secret) override {
    return userdb::delete_secret(db_, realm, secret);
  }
  Expected<std::size_t> delete_all_secrets(std::optional<std::string_view> realm) override {
    return userdb::delete_all_secrets(db_, realm);
  }
  Expected<std::vector<Row>> list_secrets(std::optional<std::string_view> realm) override {
    return userdb::list_secrets(db_, realm);
  }
  Expected<void> add_origin(std::string_view origin, std::string_view realm) override {
    return userdb::add_origin(db_, origin, realm);
  }
  Expected<bool> delete_origin(std::string_view origin) override {
    return userdb::delete_origin(db_, origin);
  }
  Expected<std::vector<Row>> list_origins(std::optional<std::string_view> realm) override {
    return userdb::list_origins(db_, realm);
  }
  Expected<void> set_realm_option(std::string_view realm, std::string_view opt,
                                  std::int64_t value) override {
    return userdb::set_realm_option(db_, realm, opt, value);
  }
  Expected<std::vector<Row>> list_realm_options(std::optional<std::string_view> realm) override {
    return userdb::list_realm_options(db_, realm);
  }

 private:
  Database db_;
};

}  // namespace

Expected<std::unique_ptr<AdminStore>> open_sqlite_admin(const std::string& path) {
  auto db = open_for_admin(path);
  if (!db) return std::move(db).failure();
  return std::unique_ptr<AdminStore>(std::make_unique<SqliteAdmin>(std::move(*db)));
}

}  // namespace ferry::userdb
