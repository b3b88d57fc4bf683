#include "ferry/userdb/schema.h"

#include <string>

namespace ferry::userdb {

namespace {

// Column names, types, defaults and keys as coturn's turnadmin creates them (checked with
// `sqlite3 FILE .schema` on a database it made), so coturn reads a file Ferry created.
constexpr const char* kTables[] = {
    "CREATE TABLE IF NOT EXISTS turnusers_lt (realm varchar(127) default '', name varchar(512), "
    "hmackey char(128), PRIMARY KEY (realm, name))",
    "CREATE TABLE IF NOT EXISTS turn_secret (realm varchar(127) default '', value varchar(127), "
    "primary key (realm, value))",
    "CREATE TABLE IF NOT EXISTS allowed_peer_ip (realm varchar(127) default '', "
    "ip_range varchar(256), primary key (realm, ip_range))",
    "CREATE TABLE IF NOT EXISTS denied_peer_ip (realm varchar(127) default '', "
    "ip_range varchar(256), primary key (realm, ip_range))",
    "CREATE TABLE IF NOT EXISTS turn_origin_to_realm (origin varchar(127), realm varchar(127), "
    "primary key (origin))",
    "CREATE TABLE IF NOT EXISTS turn_realm_option (realm varchar(127) default '', "
    "opt varchar(32), value varchar(128), primary key (realm, opt))",
    "CREATE TABLE IF NOT EXISTS oauth_key (kid varchar(128), ikm_key varchar(256), "
    "timestamp bigint default 0, lifetime integer default 0, as_rs_alg varchar(64) default '', "
    "realm varchar(127) default '', primary key (kid))",
    "CREATE TABLE IF NOT EXISTS admin_user (name varchar(32), realm varchar(127), "
    "password varchar(127), primary key (name))",
    // Ferry's: hex SHA-256(name:realm:password), and the hex MD5 key of the same password.
    "CREATE TABLE IF NOT EXISTS ferry_sha256_key (realm varchar(127) default '', "
    "name varchar(512), md5key char(32), sha256key char(64), primary key (realm, name))",
};

}  // namespace

Expected<void> create_schema(Database& db) {
  if (auto begun = db.exec("BEGIN IMMEDIATE"); !begun) return begun;
  for (const char* sql : kTables) {
    if (auto made = db.exec(sql); !made) {
      (void)db.exec("ROLLBACK");
      return made;
    }
  }
  return db.exec("COMMIT");
}

Expected<bool> has_table(Database& db, std::string_view table) {
  auto q = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  if (!q) return std::move(q).failure();
  q->bind(1, table);
  return q->step();
}

}  // namespace ferry::userdb
