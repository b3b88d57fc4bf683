#include "ferry/userdb_redis/layout.h"

namespace ferry::userdb_redis {

namespace {

constexpr std::string_view kRealm = "turn/realm/";
constexpr std::string_view kOrigin = "turn/origin/";

std::string realm_key(std::string_view realm, std::string_view rest) {
  std::string k;
  k.reserve(kRealm.size() + realm.size() + 1 + rest.size());
  k += kRealm;
  k += realm;
  k += '/';
  k += rest;
  return k;
}

std::string user_part(std::string_view realm, std::string_view name, std::string_view suffix) {
  std::string rest = "user/";
  rest += name;
  rest += '/';
  rest += suffix;
  return realm_key(realm, rest);
}

}  // namespace

std::string user_key(std::string_view realm, std::string_view name) {
  return user_part(realm, name, "key");
}
std::string user_password_key(std::string_view realm, std::string_view name) {
  return user_part(realm, name, "password");
}
std::string user_sha256_key(std::string_view realm, std::string_view name) {
  return user_part(realm, name, "ferry-sha256");
}
std::string secret_set(std::string_view realm) {
  return realm_key(realm, "secret");
}
std::string allowed_peer_set(std::string_view realm) {
  return realm_key(realm, "allowed-peer-ip");
}
std::string denied_peer_set(std::string_view realm) {
  return realm_key(realm, "denied-peer-ip");
}
std::string realm_option_key(std::string_view realm, std::string_view opt) {
  return realm_key(realm, opt);
}
std::string origin_key(std::string_view origin) {
  return std::string(kOrigin) + std::string(origin);
}

bool valid_realm(std::string_view realm) {
  return !realm.empty() && realm.find('/') == std::string_view::npos;
}

std::optional<ParsedKey> parse_key(std::string_view key) {
  if (key.starts_with(kOrigin)) {
    key.remove_prefix(kOrigin.size());
    if (key.empty()) return std::nullopt;
    return ParsedKey{KeyKind::kOrigin, {}, std::string(key)};
  }
  if (!key.starts_with(kRealm)) return std::nullopt;
  key.remove_prefix(kRealm.size());
  const auto slash = key.find('/');
  if (slash == 0 || slash == std::string_view::npos) return std::nullopt;
  std::string realm(key.substr(0, slash));
  const std::string_view rest = key.substr(slash + 1);
  if (rest == "secret") return ParsedKey{KeyKind::kSecrets, std::move(realm), {}};
  if (rest == "allowed-peer-ip") return ParsedKey{KeyKind::kAllowedPeers, std::move(realm), {}};
  if (rest == "denied-peer-ip") return ParsedKey{KeyKind::kDeniedPeers, std::move(realm), {}};
  for (auto opt : kRealmOptions) {
    if (rest == opt) return ParsedKey{KeyKind::kRealmOption, std::move(realm), std::string(opt)};
  }
  if (!rest.starts_with("user/")) return std::nullopt;
  const std::string_view user = rest.substr(5);
  const auto last = user.rfind('/');
  if (last == 0 || last == std::string_view::npos) return std::nullopt;
  const std::string_view suffix = user.substr(last + 1);
  std::string name(user.substr(0, last));
  if (suffix == "key") return ParsedKey{KeyKind::kUserKey, std::move(realm), std::move(name)};
  if (suffix == "password") {
    return ParsedKey{KeyKind::kUserPassword, std::move(realm), std::move(name)};
  }
  if (suffix == "ferry-sha256") {
    return ParsedKey{KeyKind::kUserSha256, std::move(realm), std::move(name)};
  }
  return std::nullopt;
}

}  // namespace ferry::userdb_redis
