// turnadmin: coturn's user database tool for Ferry (SQLite -b, PostgreSQL -e, Redis -N). Output
// formats are coturn's, so scripts that read `turnadmin -l` keep working; messages go to stderr
// and name the database (never its password).
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "admin_options.h"
#include "ferry/auth/long_term_key.h"
#include "ferry/userdb/admin.h"
#include "ferry/userdb_pg/pg_admin.h"
#include "ferry/userdb_redis/layout.h"
#include "ferry/userdb_redis/redis_admin.h"

namespace {

using ferry::Expected;
using ferry::turnadmin::AdminRequest;
using ferry::turnadmin::Command;
using ferry::turnadmin::Database;
namespace userdb = ferry::userdb;

// RFC 8489 §14.3: a USERNAME is fewer than 509 bytes; §14.9: a REALM fewer than 128
// characters (at most 763 bytes). A longer one could never authenticate.
constexpr std::size_t kMaxUser = 508;
constexpr std::size_t kMaxRealm = 763;

int failure(const std::string& message) {
  std::fprintf(stderr, "turnadmin: %s\n", message.c_str());
  return 1;
}

std::string default_db() {
  for (const char* p : {"/var/db/turndb", "/usr/local/var/db/turndb", "/var/lib/turn/turndb"}) {
    if (access(p, F_OK) == 0) return p;
  }
  return {};
}

// Which of -u, -r, -p, -o the command needs, checked before the database is touched.
Expected<void> check_needs(const AdminRequest& r) {
  const bool user =
      r.command == Command::kKey || r.command == Command::kAdd || r.command == Command::kDelete;
  const bool realm = user || r.command == Command::kSetSecret ||
                     r.command == Command::kDeleteSecret || r.command == Command::kAddOrigin ||
                     r.command == Command::kSetRealmOption;
  const bool password = r.command == Command::kKey || r.command == Command::kAdd;
  if (user && (!r.user || r.user->empty())) return ferry::fail("the user must be set (-u USER)");
  if (user && r.user->size() > kMaxUser) {
    return ferry::fail("the user name has " + std::to_string(r.user->size()) +
                       " bytes: STUN allows at most 508 (RFC 8489 section 14.3)");
  }
  if (realm && (!r.realm || r.realm->empty())) {
    return ferry::fail("the realm must be set (-r REALM)");
  }
  if (r.realm && r.realm->size() > kMaxRealm) {
    return ferry::fail(
        "the realm is too long: STUN allows at most 763 bytes (RFC 8489 section 14.9)");
  }
  if (password && (!r.password || r.password->empty())) {
    return ferry::fail("the password must be set (-p PASSWORD)");
  }
  if ((r.command == Command::kSetSecret || r.command == Command::kDeleteSecret) &&
      r.secret.empty()) {
    return ferry::fail("the secret is empty: anyone could make valid credentials with it");
  }
  if ((r.command == Command::kAddOrigin || r.command == Command::kDeleteOrigin) &&
      (!r.origin || r.origin->empty())) {
    return ferry::fail("the origin must be set (-o ORIGIN)");
  }
  if (r.command == Command::kSetRealmOption && !r.max_bps && !r.total_quota && !r.user_quota) {
    return ferry::fail("-g needs --max-bps, --total-quota or --user-quota");
  }
  return {};
}

void print_rows(const std::vector<userdb::Row>& rows, Command c) {
  for (const auto& row : rows) {
    if (c == Command::kListOrigins) {
      std::printf("%s ==>> %s\n", row.name.c_str(), row.realm.c_str());
    } else if (c == Command::kListRealmOptions) {
      std::printf("%s[%s]=%s\n", row.name.c_str(), row.realm.c_str(), row.value.c_str());
    } else {
      std::printf("%s[%s]\n", row.name.c_str(), row.realm.c_str());
    }
  }
}

std::optional<std::string_view> realm_filter(const AdminRequest& r) {
  if (!r.realm || r.realm->empty()) return std::nullopt;
  return *r.realm;
}

// The commands that change or read the database.
Expected<void> run(userdb::AdminStore& db, const AdminRequest& r) {
  const auto filter = realm_filter(r);
  auto listed = [&](Expected<std::vector<userdb::Row>> rows) -> Expected<void> {
    if (!rows) return std::move(rows).failure();
    print_rows(*rows, r.command);
    return {};
  };
  auto note_missing = [&](Expected<bool> found, const std::string& what) -> Expected<void> {
    if (!found) return std::move(found).failure();
    if (!*found) std::fprintf(stderr, "turnadmin: %s: nothing to delete\n", what.c_str());
    return {};
  };
  switch (r.command) {
    case Command::kAdd:
      return db.add_user(*r.realm, *r.user, *r.password);
    case Command::kDelete:
      return note_missing(db.delete_user(*r.realm, *r.user),
                          "no user " + *r.user + " in realm " + *r.realm);
    case Command::kList:
      return listed(db.list_users(filter));
    case Command::kSetSecret:
      return db.add_secret(*r.realm, r.secret);
    case Command::kShowSecrets:
      return listed(db.list_secrets(filter));
    case Command::kDeleteSecret:
      return note_missing(db.delete_secret(*r.realm, r.secret),
                          "no such secret in realm " + *r.realm);
    case Command::kDeleteAllSecrets: {
      auto n = db.delete_all_secrets(filter);
      if (!n) return std::move(n).failure();
      return {};
    }
    case Command::kAddOrigin:
      return db.add_origin(*r.origin, *r.realm);
    case Command::kDeleteOrigin:
      return note_missing(db.delete_origin(*r.origin), "no origin " + *r.origin);
    case Command::kListOrigins:
      return listed(db.list_origins(filter));
    case Command::kSetRealmOption: {
      const std::pair<const char*, std::optional<std::int64_t>> opts[] = {
          {"max-bps", r.max_bps}, {"total-quota", r.total_quota}, {"user-quota", r.user_quota}};
      for (const auto& [name, value] : opts) {
        if (!value) continue;
        if (auto ok = db.set_realm_option(*r.realm, name, *value); !ok) return ok;
      }
      return {};
    }
    case Command::kListRealmOptions:
      return listed(db.list_realm_options(filter));
    case Command::kNone:
    case Command::kKey:
    case Command::kUnsupported:
    case Command::kHelp:
      break;
  }
  return {};
}

Expected<std::unique_ptr<userdb::AdminStore>> open(AdminRequest& r) {
  switch (r.database) {
    case Database::kRedis: {
      auto info = ferry::userdb_redis::parse_redis_conninfo(r.db);
      if (!info) return std::move(info).failure();
      // coturn's layout puts the realm between slashes: one with a '/' would be another key.
      if (r.realm && !r.realm->empty() && !ferry::userdb_redis::valid_realm(*r.realm)) {
        return ferry::fail(
            "the realm contains '/': Redis keys (turn/realm/REALM/...) cannot "
            "hold it");
      }
      return ferry::userdb_redis::open_redis_admin(*info);
    }
    case Database::kPostgres: {
      auto info = ferry::userdb_pg::parse_pg_conninfo(r.db);
      if (!info) return std::move(info).failure();
      return ferry::userdb_pg::open_pg_admin(*info);
    }
    case Database::kDefault:
      r.db = default_db();
      if (r.db.empty()) {
        return ferry::fail(
            "no database: give one with -b FILE, -e CONNINFO or -N CONNINFO (none of the "
            "default SQLite files exists)");
      }
      [[fallthrough]];
    case Database::kSqlite:
      return userdb::open_sqlite_admin(r.db);
  }
  return ferry::fail("no database");
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = ferry::turnadmin::parse_admin_args(argc, argv);
  if (!parsed) return failure(parsed.error());
  AdminRequest& r = *parsed;
  if (r.command == Command::kHelp) {
    std::fputs(ferry::turnadmin::render_admin_help().c_str(), stdout);
    return 0;
  }
  if (r.command == Command::kNone) {
    std::fputs(ferry::turnadmin::render_admin_help().c_str(), stderr);
    return failure("no command given");
  }
  if (!r.not_supported.empty()) return failure(r.not_supported);
  if (auto ok = check_needs(r); !ok) return failure(ok.error());
  if (r.command == Command::kKey) {
    // No database: the key is a function of the three values (coturn prints it so).
    const auto key = ferry::auth::md5_key(*r.user, *r.realm, *r.password);
    std::printf("0x");
    for (auto b : key) std::printf("%02x", b);
    std::printf("\n");
    return 0;
  }
  auto db = open(r);
  if (!db) return failure(db.error());
  if (auto done = run(**db, r); !done) return failure(done.error());
  return 0;
}
