#include "ferry/userdb_redis/redis_admin.h"

#include <algorithm>

#include "ferry/userdb_redis/client.h"
#include "ferry/userdb_redis/layout.h"

namespace ferry::userdb_redis {

namespace {

using userdb::Row;

// A literal inside a SCAN MATCH pattern: glob characters in a realm are data too.
std::string glob_literal(std::string_view s) {
  std::string out;
  for (char ch : s) {
    if (ch == '*' || ch == '?' || ch == '[' || ch == ']' || ch == '\\') out += '\\';
    out += ch;
  }
  return out;
}

Expected<void> check_realm(std::string_view realm) {
  if (valid_realm(realm)) return {};
  return fail("the realm '" + std::string(realm) +
              "' contains '/': in coturn's Redis key layout (turn/realm/REALM/...) it would "
              "read as another key");
}

void sort_rows(std::vector<Row>& rows) {
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::tie(a.realm, a.name, a.value) < std::tie(b.realm, b.name, b.value);
  });
  rows.erase(std::unique(rows.begin(), rows.end(),
                         [](const Row& a, const Row& b) {
                           return a.realm == b.realm && a.name == b.name && a.value == b.value;
                         }),
             rows.end());
}

class RedisAdmin final : public userdb::AdminStore {
 public:
  explicit RedisAdmin(RedisClient c) : c_(std::move(c)) {}

  Expected<void> add_user(std::string_view realm, std::string_view name,
                          std::string_view password) override {
    if (auto ok = check_realm(realm); !ok) return ok;
    const std::string md5 = userdb::md5_key_hex(name, realm, password);
    const std::string sha = md5 + ":" + userdb::sha256_key_hex(name, realm, password);
    const std::string key = user_key(realm, name);
    const std::string sha_key = user_sha256_key(realm, name);
    // One transaction: a reader never sees the new hmackey beside the old SHA-256 key.
    auto r = c_.pipeline({{"MULTI"}, {"SET", key, md5}, {"SET", sha_key, sha}, {"EXEC"}});
    if (!r) return std::move(r).failure();
    return exec_ok(*r);
  }

  Expected<bool> delete_user(std::string_view realm, std::string_view name) override {
    if (auto ok = check_realm(realm); !ok) return std::move(ok).failure();
    const std::string key = user_key(realm, name);
    const std::string pass = user_password_key(realm, name);
    const std::string sha = user_sha256_key(realm, name);
    auto r = c_.pipeline({{"DEL", key, pass}, {"DEL", sha}});
    if (!r) return std::move(r).failure();
    if ((*r)[0].type == RedisValue::Type::kError) return fail((*r)[0].text);
    return (*r)[0].integer > 0;
  }

  Expected<std::vector<Row>> list_users(std::optional<std::string_view> realm) override {
    auto keys = scan("turn/realm/" + (realm ? glob_literal(*realm) : std::string("*")) + "/user/*");
    if (!keys) return std::move(keys).failure();
    std::vector<Row> rows;
    for (const auto& k : *keys) {
      auto p = parse_key(k);
      if (!p || (p->kind != KeyKind::kUserKey && p->kind != KeyKind::kUserPassword)) continue;
      if (realm && p->realm != *realm) continue;
      rows.push_back(Row{p->realm, p->name, {}});
    }
    sort_rows(rows);
    return rows;
  }

  Expected<void> add_secret(std::string_view realm, std::string_view secret) override {
    if (auto ok = check_realm(realm); !ok) return ok;
    auto r = c_.command({"SADD", secret_set(realm), secret});
    if (!r) return std::move(r).failure();
    return {};
  }

  Expected<bool> delete_secret(std::string_view realm, std::string_view secret) override {
    if (auto ok = check_realm(realm); !ok) return std::move(ok).failure();
    auto r = c_.command({"SREM", secret_set(realm), secret});
    if (!r) return std::move(r).failure();
    return r->integer > 0;
  }

  Expected<std::size_t> delete_all_secrets(std::optional<std::string_view> realm) override {
    auto sets = secret_sets(realm);
    if (!sets) return std::move(sets).failure();
    std::size_t n = 0;
    for (const auto& s : *sets) {
      auto r = c_.pipeline({{"SCARD", s}, {"DEL", s}});
      if (!r) return std::move(r).failure();
      n += static_cast<std::size_t>(std::max(0LL, (*r)[0].integer));
    }
    return n;
  }

  Expected<std::vector<Row>> list_secrets(std::optional<std::string_view> realm) override {
    auto sets = secret_sets(realm);
    if (!sets) return std::move(sets).failure();
    std::vector<Row> rows;
    for (const auto& s : *sets) {
      auto members = c_.command({"SMEMBERS", s});
      if (!members) return std::move(members).failure();
      const std::string r = parse_key(s)->realm;
      for (const auto& m : members->elements) rows.push_back(Row{r, m.text, {}});
    }
    sort_rows(rows);
    return rows;
  }

  Expected<void> add_origin(std::string_view origin, std::string_view realm) override {
    if (auto ok = check_realm(realm); !ok) return ok;
    auto r = c_.command({"SET", origin_key(userdb::normalize_origin(origin)), realm});
    if (!r) return std::move(r).failure();
    return {};
  }

  Expected<bool> delete_origin(std::string_view origin) override {
    auto r = c_.command({"DEL", origin_key(userdb::normalize_origin(origin))});
    if (!r) return std::move(r).failure();
    return r->integer > 0;
  }

  Expected<std::vector<Row>> list_origins(std::optional<std::string_view> realm) override {
    auto keys = scan("turn/origin/*");
    if (!keys) return std::move(keys).failure();
    auto values = get_all(*keys);
    if (!values) return std::move(values).failure();
    std::vector<Row> rows;
    for (std::size_t i = 0; i < keys->size(); ++i) {
      auto p = parse_key((*keys)[i]);
      if (!p || !(*values)[i]) continue;
      if (realm && *(*values)[i] != *realm) continue;
      rows.push_back(Row{*(*values)[i], p->name, {}});
    }
    sort_rows(rows);
    return rows;
  }

  Expected<void> set_realm_option(std::string_view realm, std::string_view opt,
                                  std::int64_t value) override {
    if (auto ok = check_realm(realm); !ok) return ok;
    const std::string key = realm_option_key(realm, opt);
    const std::string v = std::to_string(value);
    auto r = value == 0 ? c_.command({"DEL", key}) : c_.command({"SET", key, v});
    if (!r) return std::move(r).failure();
    return {};
  }

  Expected<std::vector<Row>> list_realm_options(std::optional<std::string_view> realm) override {
    auto keys = scan("turn/realm/" + (realm ? glob_literal(*realm) : std::string("*")) + "/*");
    if (!keys) return std::move(keys).failure();
    std::vector<std::string> options;
    for (auto& k : *keys) {
      auto p = parse_key(k);
      if (p && p->kind == KeyKind::kRealmOption && (!realm || p->realm == *realm)) {
        options.push_back(std::move(k));
      }
    }
    auto values = get_all(options);
    if (!values) return std::move(values).failure();
    std::vector<Row> rows;
    for (std::size_t i = 0; i < options.size(); ++i) {
      if (!(*values)[i]) continue;
      auto p = parse_key(options[i]);
      rows.push_back(Row{p->realm, p->name, *(*values)[i]});
    }
    sort_rows(rows);
    return rows;
  }

 private:
  static Expected<void> exec_ok(const std::vector<RedisValue>& r) {
    for (const auto& v : r) {
      if (v.type == RedisValue::Type::kError) return fail("Redis answered: " + v.text);
    }
    if (r.back().type != RedisValue::Type::kArray) return fail("Redis did not run the MULTI");
    return {};
  }

  // Every key matching `pattern` (SCAN: Redis keeps serving others meanwhile).
  Expected<std::vector<std::string>> scan(const std::string& pattern) {
    std::vector<std::string> keys;
    std::string cursor = "0";
    auto max_steps = scan_step_bound(c_, 1000);
    if (!max_steps) return std::move(max_steps).failure();
    std::size_t steps = 0;
    do {
      if (++steps > *max_steps) {
        return fail("Redis's SCAN did not come back to cursor 0 after " +
                    std::to_string(*max_steps) + " steps");
      }
      auto r = c_.command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
      if (!r) return std::move(r).failure();
      if (r->type != RedisValue::Type::kArray || r->elements.size() != 2) {
        return fail("Redis answered SCAN with something else than a cursor and keys");
      }
      cursor = r->elements[0].text;
      for (auto& k : r->elements[1].elements) keys.push_back(std::move(k.text));
    } while (cursor != "0");
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    return keys;
  }

  Expected<std::vector<std::optional<std::string>>> get_all(const std::vector<std::string>& keys) {
    std::vector<std::optional<std::string>> out;
    for (const auto& k : keys) {
      auto r = c_.command({"GET", k});
      if (!r) {
        out.emplace_back();  // another type
        if (c_.broken()) return std::move(r).failure();
        continue;
      }
      if (r->type == RedisValue::Type::kString) {
        out.emplace_back(std::move(r->text));
      } else {
        out.emplace_back();
      }
    }
    return out;
  }

  Expected<std::vector<std::string>> secret_sets(std::optional<std::string_view> realm) {
    if (realm) {
      if (auto ok = check_realm(*realm); !ok) return std::move(ok).failure();
      return std::vector<std::string>{secret_set(*realm)};
    }
    auto keys = scan("turn/realm/*/secret");
    if (!keys) return keys;
    std::erase_if(*keys, [](const std::string& k) {
      auto p = parse_key(k);
      return !p || p->kind != KeyKind::kSecrets;
    });
    return keys;
  }

  RedisClient c_;
};

}  // namespace

Expected<std::unique_ptr<userdb::AdminStore>> open_redis_admin(const RedisConnInfo& info) {
  auto c = RedisClient::connect(info);
  if (!c) return std::move(c).failure();
  return std::unique_ptr<userdb::AdminStore>(std::make_unique<RedisAdmin>(std::move(*c)));
}

}  // namespace ferry::userdb_redis
