// turnadmin: coturn's user database tool for Ferry (SQLite). Output formats are coturn's, so
// scripts that read `turnadmin -l` keep working; messages go to stderr and name the file.
#include <unistd.h>

#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "admin_options.h"
#include "ferry/auth/long_term_key.h"
#include "ferry/userdb/admin.h"

namespace {

using ferry::Expected;
using ferry::turnadmin::AdminRequest;
using ferry::turnadmin::Command;
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
Expected<void> run(userdb::Database& db, const AdminRequest& r) {
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
      return userdb::add_user(db, *r.realm, *r.user, *r.password);
    case Command::kDelete:
      return note_missing(userdb::delete_user(db, *r.realm, *r.user),
                          "no user " + *r.user + " in realm " + *r.realm);
    case Command::kList:
      return listed(userdb::list_users(db, filter));
    case Command::kSetSecret:
      return userdb::add_secret(db, *r.realm, r.secret);
    case Command::kShowSecrets:
      return listed(userdb::list_secrets(db, filter));
    case Command::kDeleteSecret:
      return note_missing(userdb::delete_secret(db, *r.realm, r.secret),
                          "no such secret in realm " + *r.realm);
    case Command::kDeleteAllSecrets: {
      auto n = userdb::delete_all_secrets(db, filter);
      if (!n) return std::move(n).failure();
      return {};
    }
    case Command::kAddOrigin:
      return userdb::add_origin(db, *r.origin, *r.realm);
    case Command::kDeleteOrigin:
      return note_missing(userdb::delete_origin(db, *r.origin), "no origin " + *r.origin);
    case Command::kListOrigins:
      return listed(userdb::list_origins(db, filter));
    case Command::kSetRealmOption: {
      const std::pair<const char*, std::optional<std::int64_t>> opts[] = {
          {"max-bps", r.max_bps}, {"total-quota", r.total_quota}, {"user-quota", r.user_quota}};
      for (const auto& [name, value] : opts) {
        if (!value) continue;
        if (auto ok = userdb::set_realm_option(db, *r.realm, name, *value); !ok) return ok;
      }
      return {};
    }
    case Command::kListRealmOptions:
      return listed(userdb::list_realm_options(db, filter));
    case Command::kNone:
    case Command::kKey:
    case Command::kUnsupported:
    case Command::kHelp:
      break;
  }
  return {};
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
  if (r.db.empty()) r.db = default_db();
  if (r.db.empty()) {
    return failure("no database: give one with -b FILE (none of the default files exists)");
  }
  auto db = userdb::open_for_admin(r.db);
  if (!db) return failure(db.error());
  if (auto done = run(*db, r); !done) return failure(done.error());
  return 0;
}
