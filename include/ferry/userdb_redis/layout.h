// The Redis keys of a user database, as coturn's turnserver reads them and its turnadmin -N
// writes them (coturn 4.6's schema.userdb.redis):
//   turn/realm/<realm>/user/<name>/key       string: hex MD5(name:realm:password) (hmackey)
//   turn/realm/<realm>/user/<name>/password  string: the password in clear (coturn reads it
//                                            when there is no key; turnadmin never writes it)
//   turn/realm/<realm>/secret                set: the TURN REST secrets
//   turn/realm/<realm>/allowed-peer-ip       set of ranges
//   turn/realm/<realm>/denied-peer-ip        set of ranges
//   turn/realm/<realm>/max-bps|total-quota|user-quota   string: a realm option
//   turn/origin/<origin>                     string: the realm of an ORIGIN
// and Ferry's one addition, which coturn never reads:
//   turn/realm/<realm>/user/<name>/ferry-sha256   string "<md5 hex>:<sha256 hex>", the
//                                            SHA-256 key and the MD5 key it was made beside
//
// Names and realms are data, never syntax: every command goes to Redis as separate binary-safe
// arguments (never a formatted command line, where a space would start another argument).
// Inside a key, a realm cannot contain '/' (refused when writing, skipped when reading): the
// realm is what lies between "turn/realm/" and the next '/', so no realm can reach into
// another's keys. A user name may contain anything, '/' included (coturn's turnserver finds
// such a user too): it is what lies between "/user/" and the last '/', and the suffix after it
// must be one of the three above, so a name like "x/key" stays the user "x/key".
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ferry::userdb_redis {

inline constexpr std::string_view kPrefix = "turn/";
inline constexpr std::string_view kRealmOptions[] = {"max-bps", "total-quota", "user-quota"};

std::string user_key(std::string_view realm, std::string_view name);
std::string user_password_key(std::string_view realm, std::string_view name);
std::string user_sha256_key(std::string_view realm, std::string_view name);
std::string secret_set(std::string_view realm);
std::string allowed_peer_set(std::string_view realm);
std::string denied_peer_set(std::string_view realm);
std::string realm_option_key(std::string_view realm, std::string_view opt);
std::string origin_key(std::string_view origin);

// A realm usable in keys: not empty, no '/'.
bool valid_realm(std::string_view realm);

enum class KeyKind {
  kUserKey,
  kUserPassword,
  kUserSha256,
  kSecrets,
  kAllowedPeers,
  kDeniedPeers,
  kRealmOption,
  kOrigin,
};

struct ParsedKey {
  KeyKind kind;
  std::string realm;  // empty for kOrigin
  std::string name;   // the user, the option or the origin
};

// What a key under "turn/" is; nullopt for keys of no user database (coturn's statistics,
// admin users, oAuth keys, anything else).
std::optional<ParsedKey> parse_key(std::string_view key);

}  // namespace ferry::userdb_redis
