#include "ferry/userdb_redis/redis_source.h"

#include <algorithm>

#include "ferry/userdb/admin.h"
#include "ferry/userdb_redis/layout.h"

namespace ferry::userdb_redis {

namespace {

constexpr std::size_t kBatch = 1000;  // keys per SCAN step and per MGET

// The value of "name:value" in an INFO section; empty when absent.
std::string info_field(const std::string& info, std::string_view name) {
  std::size_t at = 0;
  while (at < info.size()) {
    const auto end = info.find('\n', at);
    std::string_view line(info.data() + at, (end == std::string::npos ? info.size() : end) - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > name.size() && line.starts_with(name) && line[name.size()] == ':') {
      return std::string(line.substr(name.size() + 1));
    }
    if (end == std::string::npos) break;
    at = end + 1;
  }
  return {};
}

struct Entry {
  std::string key;
  ParsedKey parsed;
};

}  // namespace

std::size_t RedisSource::key_bound(const auth::SnapshotLimits& limits) {
  return 3 * limits.max_users + limits.max_other_rows + 10'000;
}

Expected<RedisClient*> RedisSource::client() {
  if (client_ && client_->broken()) client_.reset();
  if (!client_) {
    auto c = RedisClient::connect(info_);
    if (!c) return std::move(c).failure();
    client_.emplace(std::move(*c));
  }
  return &*client_;
}

Expected<std::string> RedisSource::version() {
  auto c = client();
  if (!c) return std::move(c).failure();
  auto replies = (*c)->pipeline({{"INFO", "server"}, {"INFO", "persistence"}});
  if (!replies) return std::move(replies).failure();
  for (const auto& r : *replies) {
    if (r.type != RedisValue::Type::kString) {
      return fail(describe() + ": INFO answered " +
                  (r.type == RedisValue::Type::kError ? r.text : std::string("no text")));
    }
  }
  const std::string& server = (*replies)[0].text;
  const std::string& persistence = (*replies)[1].text;
  // The poll count makes every kFullReloadPolls-th token new: the safety net of the header.
  ++polls_;
  return info_field(server, "run_id") + ":" + info_field(persistence, "rdb_saves") + ":" +
         info_field(persistence, "rdb_last_save_time") + ":" +
         info_field(persistence, "rdb_changes_since_last_save") + ":" +
         std::to_string(polls_ / kFullReloadPolls);
}

Expected<void> RedisSource::load(auth::SnapshotBuilder& into) {
  auto c = client();
  if (!c) return std::move(c).failure();
  auto loaded = load_keys(**c, into);
  if (!loaded && client_ && client_->broken()) client_.reset();
  return loaded;
}

Expected<void> RedisSource::load_keys(RedisClient& c, auth::SnapshotBuilder& into) {
  const auth::SnapshotLimits& limits = into.limits();
  const std::size_t bound = key_bound(limits);
  // SCAN may return a key twice (a rehash during the walk): collected, then made unique.
  std::vector<std::string> keys;
  std::string cursor = "0";
  const std::string count = std::to_string(kBatch);
  auto max_steps = scan_step_bound(c, kBatch);
  if (!max_steps) return fail(describe() + ": " + max_steps.error());
  std::size_t steps = 0;
  do {
    if (++steps > *max_steps) {
      return fail(describe() + ": SCAN did not come back to cursor 0 after " +
                  std::to_string(*max_steps) + " steps: not loaded");
    }
    auto r = c.command({"SCAN", cursor, "MATCH", "turn/*", "COUNT", count});
    if (!r) return std::move(r).failure();
    if (r->type != RedisValue::Type::kArray || r->elements.size() != 2 ||
        r->elements[1].type != RedisValue::Type::kArray) {
      return fail(describe() + ": SCAN answered something else than a cursor and keys");
    }
    cursor = r->elements[0].text;
    for (auto& k : r->elements[1].elements) {
      if (!parse_key(k.text)) continue;  // statistics, admin users, oAuth: not ours
      keys.push_back(std::move(k.text));
      if (keys.size() > bound) {
        return fail(describe() + ": more than " + std::to_string(bound) +
                    " user database keys under turn/: not loaded");
      }
    }
  } while (cursor != "0");
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());

  std::vector<Entry> strings, sets;
  for (auto& k : keys) {
    auto parsed = parse_key(k);
    const bool is_set = parsed->kind == KeyKind::kSecrets ||
                        parsed->kind == KeyKind::kAllowedPeers ||
                        parsed->kind == KeyKind::kDeniedPeers;
    (is_set ? sets : strings).push_back(Entry{std::move(k), std::move(*parsed)});
  }

  // The string values, in batches; a key of another type (or gone since the SCAN) reads nil.
  std::vector<std::optional<std::string>> values(strings.size());
  for (std::size_t at = 0; at < strings.size(); at += kBatch) {
    std::vector<std::string_view> args{"MGET"};
    const std::size_t end = std::min(strings.size(), at + kBatch);
    for (std::size_t i = at; i < end; ++i) args.push_back(strings[i].key);
    auto r = c.command(args);
    if (!r) return std::move(r).failure();
    if (r->type != RedisValue::Type::kArray || r->elements.size() != end - at) {
      return fail(describe() + ": MGET answered a wrong number of values");
    }
    for (std::size_t i = at; i < end; ++i) {
      auto& v = r->elements[i - at];
      if (v.type == RedisValue::Type::kString) values[i] = std::move(v.text);
    }
  }
  // Clear passwords first, then hmackeys (a key wins over a password, as in coturn), then
  // Ferry's SHA-256 keys (which need their user).
  for (KeyKind pass : {KeyKind::kUserPassword, KeyKind::kUserKey, KeyKind::kUserSha256}) {
    for (std::size_t i = 0; i < strings.size(); ++i) {
      const ParsedKey& p = strings[i].parsed;
      if (p.kind != pass || !values[i]) continue;
      const std::string& v = *values[i];
      if (pass == KeyKind::kUserPassword) {
        if (v.empty()) continue;
        const std::string md5 = userdb::md5_key_hex(p.name, p.realm, v);
        if (auto ok = into.add_user(p.realm, p.name, md5); !ok) return ok;
        into.add_sha256(p.realm, p.name, md5, userdb::sha256_key_hex(p.name, p.realm, v));
      } else if (pass == KeyKind::kUserKey) {
        if (auto ok = into.add_user(p.realm, p.name, v); !ok) return ok;
      } else {
        const auto colon = v.find(':');
        std::string_view sv(v);
        into.add_sha256(p.realm, p.name, sv.substr(0, colon),
                        colon == std::string::npos ? std::string_view() : sv.substr(colon + 1));
      }
    }
  }
  for (std::size_t i = 0; i < strings.size(); ++i) {
    const ParsedKey& p = strings[i].parsed;
    if (!values[i]) continue;
    if (p.kind == KeyKind::kRealmOption) {
      if (auto ok = into.add_realm_option(p.realm, p.name, *values[i]); !ok) return ok;
    } else if (p.kind == KeyKind::kOrigin) {
      if (auto ok = into.add_origin(p.name, *values[i]); !ok) return ok;
    }
  }

  // Sets: their sizes first, so one far over a bound is refused before it is fetched.
  std::vector<std::vector<std::string_view>> cmds;
  for (const auto& s : sets) cmds.push_back({"SCARD", s.key});
  auto sizes = c.pipeline(cmds);
  if (!sizes) return std::move(sizes).failure();
  for (std::size_t i = 0; i < sets.size(); ++i) {
    const long long n = (*sizes)[i].integer;
    const bool secrets = sets[i].parsed.kind == KeyKind::kSecrets;
    const std::size_t max = secrets ? limits.max_secrets_per_realm : limits.max_other_rows;
    if (n > 0 && static_cast<std::size_t>(n) > max) {
      return fail(describe() + ": " + std::to_string(n) + " members in " +
                  (secrets ? "the secrets of realm '" + sets[i].parsed.realm + "'"
                           : "a peer address list of realm '" + sets[i].parsed.realm + "'") +
                  ", more than " + std::to_string(max) + ": not loaded");
    }
  }
  cmds.clear();
  for (const auto& s : sets) cmds.push_back({"SMEMBERS", s.key});
  auto members = c.pipeline(cmds);
  if (!members) return std::move(members).failure();
  for (std::size_t i = 0; i < sets.size(); ++i) {
    const auto& m = (*members)[i];
    if (m.type != RedisValue::Type::kArray) continue;  // another type, or gone
    // Secrets in a fixed order: a reload of the same set publishes the same list.
    std::vector<std::string_view> sorted;
    for (const auto& e : m.elements) sorted.push_back(e.text);
    std::sort(sorted.begin(), sorted.end());
    const ParsedKey& p = sets[i].parsed;
    for (auto value : sorted) {
      Expected<void> ok = p.kind == KeyKind::kSecrets        ? into.add_secret(p.realm, value)
                          : p.kind == KeyKind::kAllowedPeers ? into.add_allowed_peer(p.realm, value)
                                                             : into.add_denied_peer(p.realm, value);
      if (!ok) return ok;
    }
  }
  return {};
}

}  // namespace ferry::userdb_redis
