// Where credentials come from, as configured (the options of the "auth" section). The
// credential store is built from these once the realm is known (config/settings_build.cc).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ferry::auth {

struct AuthSettings {
  // TURN REST API (use-auth-secret; static-auth-secret implies it). In this mode the REST
  // secrets are the only credentials: `user` accounts are not consulted (as coturn).
  bool use_auth_secret = false;
  // static-auth-secret, each valid at once (rotation).
  std::vector<std::string> static_secrets;
  // rest-api-separator: one character between the expiry and the user in a REST username.
  std::string rest_separator = ":";
  // userdb: an SQLite file in coturn's schema (turnadmin -b). Its users are valid beside the
  // user= accounts, its turn_secret rows beside static-auth-secret (userdb_store.h).
  std::string userdb;
  // redis-userdb: a Redis database in coturn's key layout ("ip=... dbname=... password=...").
  std::string redis_userdb;
  // psql-userdb (sql-userdb): a PostgreSQL database in coturn's tables (libpq string or URI).
  std::string psql_userdb;
  // userdb-max-stale: how long (seconds) the last snapshot of any of these keeps serving while
  // the database cannot be read; then its users and secrets are refused until it reads again.
  std::int64_t userdb_max_stale = 30;

  // Whichever user database is set (at most one is: two are a configuration error).
  bool has_userdb() const {
    return !userdb.empty() || !redis_userdb.empty() || !psql_userdb.empty();
  }

  bool rest_mode() const { return use_auth_secret || !static_secrets.empty(); }
  bool operator==(const AuthSettings&) const = default;
};

}  // namespace ferry::auth
