// What turnadmin does to an SQLite user database, in coturn's schema: users (with Ferry's
// SHA-256 key beside coturn's MD5 one), TURN REST secrets, ORIGIN -> realm and realm options.
// Every value is a bound parameter: names, realms and secrets are data, whatever their bytes.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/common/expected.h"
#include "ferry/userdb/sqlite.h"

namespace ferry::userdb {

// Opens (creating the file and any missing table) for changes; waits up to 5 s for a lock.
Expected<Database> open_for_admin(const std::string& path);

// Adds or updates: turnusers_lt.hmackey = hex MD5(name:realm:password) as coturn writes it,
// and ferry_sha256_key = hex SHA-256(name:realm:password), in one transaction.
Expected<void> add_user(Database& db, std::string_view realm, std::string_view name,
                        std::string_view password);
// false when there was no such user.
Expected<bool> delete_user(Database& db, std::string_view realm, std::string_view name);

struct Row {
  std::string realm;
  std::string name;   // user, secret, origin or option name
  std::string value;  // empty for users and secrets
};
// Sorted by realm, then name; every realm when `realm` is nullopt.
Expected<std::vector<Row>> list_users(Database& db, std::optional<std::string_view> realm);

Expected<void> add_secret(Database& db, std::string_view realm, std::string_view secret);
Expected<bool> delete_secret(Database& db, std::string_view realm, std::string_view secret);
Expected<std::size_t> delete_all_secrets(Database& db, std::optional<std::string_view> realm);
Expected<std::vector<Row>> list_secrets(Database& db, std::optional<std::string_view> realm);

// coturn keeps origins with their port: "http://example.org" is stored as
// "http://example.org:80". The form is auth::canonical_origin's, the one requests are matched
// in; text that is no origin is kept as given.
std::string normalize_origin(std::string_view origin);
Expected<void> add_origin(Database& db, std::string_view origin, std::string_view realm);
Expected<bool> delete_origin(Database& db, std::string_view origin);
// Rows: realm = the realm, name = the origin.
Expected<std::vector<Row>> list_origins(Database& db, std::optional<std::string_view> realm);

// value 0 removes the option (coturn's rule).
Expected<void> set_realm_option(Database& db, std::string_view realm, std::string_view opt,
                                std::int64_t value);
Expected<std::vector<Row>> list_realm_options(Database& db, std::optional<std::string_view> realm);

// The keys turnadmin -a writes, as hex: MD5(name:realm:password) (coturn's hmackey) and
// SHA-256(name:realm:password) (RFC 8489 section 18.5.1.2).
std::string md5_key_hex(std::string_view name, std::string_view realm, std::string_view password);
std::string sha256_key_hex(std::string_view name, std::string_view realm,
                           std::string_view password);

// turnadmin's commands over any of the three databases (SQLite here; Redis in
// ferry/userdb_redis, PostgreSQL in ferry/userdb_pg), each writing the layout coturn's
// turnserver reads. The meaning of each call is the one of the SQLite functions above.
class AdminStore {
 public:
  virtual ~AdminStore() = default;
  virtual Expected<void> add_user(std::string_view realm, std::string_view name,
                                  std::string_view password) = 0;
  virtual Expected<bool> delete_user(std::string_view realm, std::string_view name) = 0;
  virtual Expected<std::vector<Row>> list_users(std::optional<std::string_view> realm) = 0;
  virtual Expected<void> add_secret(std::string_view realm, std::string_view secret) = 0;
  virtual Expected<bool> delete_secret(std::string_view realm, std::string_view secret) = 0;
  virtual Expected<std::size_t> delete_all_secrets(std::optional<std::string_view> realm) = 0;
  virtual Expected<std::vector<Row>> list_secrets(std::optional<std::string_view> realm) = 0;
  virtual Expected<void> add_origin(std::string_view origin, std::string_view realm) = 0;
  virtual Expected<bool> delete_origin(std::string_view origin) = 0;
  virtual Expected<std::vector<Row>> list_origins(std::optional<std::string_view> realm) = 0;
  virtual Expected<void> set_realm_option(std::string_view realm, std::string_view opt,
                                          std::int64_t value) = 0;
  virtual Expected<std::vector<Row>> list_realm_options(std::optional<std::string_view> realm) = 0;
};

// open_for_admin(path) behind the AdminStore interface.
Expected<std::unique_ptr<AdminStore>> open_sqlite_admin(const std::string& path);

}  // namespace ferry::userdb
