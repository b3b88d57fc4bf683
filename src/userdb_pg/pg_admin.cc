#include "ferry/userdb_pg/pg_admin.h"

#include "ferry/userdb_pg/client.h"

namespace ferry::userdb_pg {

namespace {

using userdb::Row;

// coturn's schema.sql for PostgreSQL (column types and keys as coturn 4.6 ships them), and
// Ferry's table, which coturn never reads.
constexpr const char* kSchema[] = {
    "CREATE TABLE IF NOT EXISTS turnusers_lt (realm varchar(127) default '', name varchar(512), "
    "hmackey char(128), PRIMARY KEY (realm, name))",
    "CREATE TABLE IF NOT EXISTS turn_secret (realm varchar(127) default '', value varchar(256), "
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
    "realm varchar(127), primary key (kid))",
    "CREATE TABLE IF NOT EXISTS admin_user (name varchar(32), realm varchar(127), "
    "password varchar(127), primary key (name))",
    "CREATE TABLE IF NOT EXISTS ferry_sha256_key (realm varchar(127) default '', "
    "name varchar(512), md5key char(32), sha256key char(64), primary key (realm, name))",
};

class PgAdmin final : public userdb::AdminStore {
 public:
  explicit PgAdmin(PgClient c) : c_(std::move(c)) {}

  Expected<void> create_schema() {
    return transaction([&]() -> Expected<void> {
      for (const char* sql : kSchema) {
        if (auto ok = c_.run(sql); !ok) return std::move(ok).failure();
      }
      return {};
    });
  }

  Expected<void> add_user(std::string_view realm, std::string_view name,
                          std::string_view password) override {
    const std::string md5 = userdb::md5_key_hex(name, realm, password);
    const std::string sha = userdb::sha256_key_hex(name, realm, password);
    return transaction([&]() -> Expected<void> {
      auto lt = upsert("UPDATE turnusers_lt SET hmackey = $3 WHERE realm = $1 AND name = $2",
                       "INSERT INTO turnusers_lt (realm, name, hmackey) VALUES ($1, $2, $3)",
                       {realm, name, md5});
      if (!lt) return lt;
      return upsert(
          "UPDATE ferry_sha256_key SET md5key = $3, sha256key = $4 WHERE realm = $1 AND name = $2",
          "INSERT INTO ferry_sha256_key (realm, name, md5key, sha256key) VALUES ($1, $2, $3, $4)",
          {realm, name, md5, sha});
    });
  }

  Expected<bool> delete_user(std::string_view realm, std::string_view name) override {
    std::size_t n = 0;
    auto done = transaction([&]() -> Expected<void> {
      auto lt = c_.run("DELETE FROM turnusers_lt WHERE realm = $1 AND name = $2", {realm, name});
      if (!lt) return std::move(lt).failure();
      n = *lt;
      auto sha =
          c_.run("DELETE FROM ferry_sha256_key WHERE realm = $1 AND name = $2", {realm, name});
      if (!sha) return std::move(sha).failure();
      return {};
    });
    if (!done) return std::move(done).failure();
    return n > 0;
  }

  Expected<std::vector<Row>> list_users(std::optional<std::string_view> realm) override {
    return list("SELECT realm, name FROM turnusers_lt", realm, "realm, name");
  }

  Expected<void> add_secret(std::string_view realm, std::string_view secret) override {
    return transaction([&]() -> Expected<void> {
      auto have =
          c_.rows("SELECT 1 FROM turn_secret WHERE realm = $1 AND value = $2", {realm, secret});
      if (!have) return std::move(have).failure();
      if (!have->empty()) return {};
      auto ins = c_.run("INSERT INTO turn_secret (realm, value) VALUES ($1, $2)", {realm, secret});
      if (!ins) return std::move(ins).failure();
      return {};
    });
  }

  Expected<bool> delete_secret(std::string_view realm, std::string_view secret) override {
    auto n = c_.run("DELETE FROM turn_secret WHERE realm = $1 AND value = $2", {realm, secret});
    if (!n) return std::move(n).failure();
    return *n > 0;
  }

  Expected<std::size_t> delete_all_secrets(std::optional<std::string_view> realm) override {
    if (realm) return c_.run("DELETE FROM turn_secret WHERE realm = $1", {*realm});
    return c_.run("DELETE FROM turn_secret");
  }

  Expected<std::vector<Row>> list_secrets(std::optional<std::string_view> realm) override {
    return list("SELECT realm, value FROM turn_secret", realm, "realm, value");
  }

  Expected<void> add_origin(std::string_view origin, std::string_view realm) override {
    const std::string normal = userdb::normalize_origin(origin);
    return transaction([&]() -> Expected<void> {
      return upsert("UPDATE turn_origin_to_realm SET realm = $2 WHERE origin = $1",
                    "INSERT INTO turn_origin_to_realm (origin, realm) VALUES ($1, $2)",
                    {normal, realm});
    });
  }

  Expected<bool> delete_origin(std::string_view origin) override {
    const std::string normal = userdb::normalize_origin(origin);
    auto n = c_.run("DELETE FROM turn_origin_to_realm WHERE origin = $1", {normal});
    if (!n) return std::move(n).failure();
    return *n > 0;
  }

  Expected<std::vector<Row>> list_origins(std::optional<std::string_view> realm) override {
    return list("SELECT realm, origin FROM turn_origin_to_realm", realm, "realm, origin");
  }

  Expected<void> set_realm_option(std::string_view realm, std::string_view opt,
                                  std::int64_t value) override {
    if (value == 0) {
      auto n = c_.run("DELETE FROM turn_realm_option WHERE realm = $1 AND opt = $2", {realm, opt});
      if (!n) return std::move(n).failure();
      return {};
    }
    const std::string v = std::to_string(value);
    return transaction([&]() -> Expected<void> {
      return upsert("UPDATE turn_realm_option SET value = $3 WHERE realm = $1 AND opt = $2",
                    "INSERT INTO turn_realm_option (realm, opt, value) VALUES ($1, $2, $3)",
                    {realm, opt, v});
    });
  }

  Expected<std::vector<Row>> list_realm_options(std::optional<std::string_view> realm) override {
    return list("SELECT realm, opt, value FROM turn_realm_option", realm, "realm, opt");
  }

 private:
  // UPDATE, and INSERT when it changed nothing: works on tables without the primary keys
  // ON CONFLICT would need (coturn's turnadmin does the same).
  Expected<void> upsert(const char* update, const char* insert,
                        const std::vector<std::string_view>& params) {
    auto n = c_.run(update, params);
    if (!n) return std::move(n).failure();
    if (*n > 0) return {};
    auto ins = c_.run(insert, params);
    if (!ins) return std::move(ins).failure();
    return {};
  }

  template <class Body>
  Expected<void> transaction(Body body) {
    if (auto begun = c_.run("BEGIN"); !begun) return std::move(begun).failure();
    if (auto done = body(); !done) {
      if (!c_.broken()) (void)c_.run("ROLLBACK");
      return done;
    }
    auto committed = c_.run("COMMIT");
    if (!committed) return std::move(committed).failure();
    return {};
  }

  // `select` with, when a realm is given, the rows of that realm only.
  Expected<std::vector<Row>> list(const std::string& select, std::optional<std::string_view> realm,
                                  const char* order) {
    const std::string sql = select + (realm ? " WHERE realm = $1" : "") + " ORDER BY " + order;
    auto r = realm ? c_.rows(sql, {*realm}) : c_.rows(sql);
    if (!r) return std::move(r).failure();
    std::vector<Row> out;
    for (auto& row : *r) {
      Row x{row.size() > 0 ? row[0] : "", row.size() > 1 ? row[1] : "", {}};
      if (row.size() > 2) x.value = row[2];
      out.push_back(std::move(x));
    }
    return out;
  }

  PgClient c_;
};

}  // namespace

Expected<std::unique_ptr<userdb::AdminStore>> open_pg_admin(const PgConnInfo& info) {
  auto c = PgClient::connect(info);
  if (!c) return std::move(c).failure();
  auto admin = std::make_unique<PgAdmin>(std::move(*c));
  if (auto made = admin->create_schema(); !made) return std::move(made).failure();
  return std::unique_ptr<userdb::AdminStore>(std::move(admin));
}

}  // namespace ferry::userdb_pg
