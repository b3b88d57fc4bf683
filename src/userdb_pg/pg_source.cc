#include "ferry/userdb_pg/pg_source.h"

#include <array>

namespace ferry::userdb_pg {

namespace {

// coturn's tables and Ferry's, with the query that reads each (char(n) columns come padded
// with spaces from PostgreSQL: rtrim gives back what was written).
struct Table {
  const char* name;
  const char* select;
};
constexpr std::array<Table, 7> kTables = {{
    {"turnusers_lt", "SELECT realm, name, rtrim(hmackey) FROM turnusers_lt"},
    {"ferry_sha256_key",
     "SELECT realm, name, rtrim(md5key), rtrim(sha256key) FROM ferry_sha256_key"},
    {"turn_secret", "SELECT realm, value FROM turn_secret"},
    {"allowed_peer_ip", "SELECT realm, ip_range FROM allowed_peer_ip"},
    {"denied_peer_ip", "SELECT realm, ip_range FROM denied_peer_ip"},
    {"turn_origin_to_realm", "SELECT origin, realm FROM turn_origin_to_realm"},
    {"turn_realm_option", "SELECT realm, opt, value FROM turn_realm_option"},
}};
constexpr std::size_t kUsers = 0, kSha = 1, kSecrets = 2, kAllowed = 3, kDenied = 4, kOrigins = 5,
                      kOptions = 6;

}  // namespace

Expected<PgClient*> PgSource::client() {
  if (client_ && client_->broken()) client_.reset();
  if (!client_) {
    auto c = PgClient::connect(info_);
    if (!c) return std::move(c).failure();
    client_.emplace(std::move(*c));
  }
  return &*client_;
}

// Which of the tables exist (in the connection's search_path).
Expected<std::vector<bool>> PgSource::tables(PgClient& c) {
  std::string sql = "SELECT ";
  for (std::size_t i = 0; i < kTables.size(); ++i) {
    if (i != 0) sql += ", ";
    sql += "to_regclass('" + std::string(kTables[i].name) + "') IS NOT NULL";
  }
  auto r = c.rows(sql);
  if (!r) return std::move(r).failure();
  if (r->size() != 1 || (*r)[0].size() != kTables.size()) {
    return fail(describe() + ": unexpected answer about its tables");
  }
  std::vector<bool> have;
  for (const auto& v : (*r)[0]) have.push_back(v == "t");
  if (!have[kUsers] || !have[kSecrets]) {
    return fail(describe() + " has no table " + (have[kUsers] ? "turn_secret" : "turnusers_lt") +
                ": not a user database yet (turnadmin -e makes the tables; so does coturn's "
                "schema.sql)");
  }
  return have;
}

Expected<std::string> PgSource::version() {
  auto c = client();
  if (!c) return std::move(c).failure();
  auto have = tables(**c);
  if (!have) return std::move(have).failure();
  std::string sql = "SELECT ''";
  std::string present;
  for (std::size_t i = 0; i < kTables.size(); ++i) {
    present += (*have)[i] ? '1' : '0';
    if (!(*have)[i]) continue;
    sql += std::string(
               " || (SELECT count(*) || '.' || coalesce(max(xmin::text::bigint), 0) || ';' "
               "FROM ") +
           kTables[i].name + ")";
  }
  auto r = (*c)->rows(sql);
  if (!r) return std::move(r).failure();
  if (r->size() != 1 || (*r)[0].size() != 1) return fail(describe() + ": unexpected answer");
  // The poll count makes every kFullReloadPolls-th token new: the safety net of the header.
  ++polls_;
  return present + ":" + (*r)[0][0] + ":" + std::to_string(polls_ / kFullReloadPolls);
}

Expected<void> PgSource::load(auth::SnapshotBuilder& into) {
  auto c = client();
  if (!c) return std::move(c).failure();
  auto have = tables(**c);
  if (!have) return std::move(have).failure();
  auto begun = (*c)->run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  if (!begun) return std::move(begun).failure();
  auto loaded = load_tables(**c, *have, into);
  if (!(*c)->broken()) (void)(*c)->run(loaded ? "COMMIT" : "ROLLBACK");
  if (client_ && client_->broken()) client_.reset();
  return loaded;
}

Expected<void> PgSource::load_tables(PgClient& c, const std::vector<bool>& have,
                                     auth::SnapshotBuilder& into) {
  auto each = [&](std::size_t table, const PgClient::OnRow& row) -> Expected<void> {
    if (!have[table]) return {};
    auto ran = c.run(kTables[table].select, {}, row);
    if (!ran) return std::move(ran).failure();
    return {};
  };
  using R = const PgRow&;
  if (auto ok = each(kUsers, [&](R r) { return into.add_user(r.text(0), r.text(1), r.text(2)); });
      !ok) {
    return ok;
  }
  if (auto ok = each(kSha,
                     [&](R r) -> Expected<void> {
                       into.add_sha256(r.text(0), r.text(1), r.text(2), r.text(3));
                       return {};
                     });
      !ok) {
    return ok;
  }
  if (auto ok = each(kSecrets, [&](R r) { return into.add_secret(r.text(0), r.text(1)); }); !ok) {
    return ok;
  }
  if (auto ok = each(kAllowed, [&](R r) { return into.add_allowed_peer(r.text(0), r.text(1)); });
      !ok) {
    return ok;
  }
  if (auto ok = each(kDenied, [&](R r) { return into.add_denied_peer(r.text(0), r.text(1)); });
      !ok) {
    return ok;
  }
  if (auto ok = each(kOrigins, [&](R r) { return into.add_origin(r.text(0), r.text(1)); }); !ok) {
    return ok;
  }
  return each(kOptions,
              [&](R r) { return into.add_realm_option(r.text(0), r.text(1), r.text(2)); });
}

}  // namespace ferry::userdb_pg
