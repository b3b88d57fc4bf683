#include "ferry/auth/credential_store.h"

namespace ferry::auth {

Expected<void> StaticUsers::add(std::string_view entry) {
  // The first ':' separates the name; the password may itself contain ':'.
  auto colon = entry.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == entry.size()) {
    return fail("expected NAME:PASSWORD or NAME:0x<32 hex digits>");
  }
  auto name = entry.substr(0, colon);
  auto secret = entry.substr(colon + 1);
  UserKeys keys;
  if (secret.size() > 2 && secret[0] == '0' && (secret[1] == 'x' || secret[1] == 'X')) {
    auto k = parse_hex_key(secret);
    if (!k) return fail("a key given as 0x... must have exactly 32 hex digits");
    keys.md5 = *k;  // the password is unknown: no SHA-256 key
  } else {
    keys.md5 = md5_key(name, realm_, secret);
    keys.sha256 = sha256_key(name, realm_, secret);
  }
  users_.insert_or_assign(std::string(name), keys);
  names_by_hash_.insert_or_assign(userhash(name, realm_), std::string(name));
  return {};
}

Lookup StaticUsers::find(std::string_view user, std::string_view realm,
                         std::int64_t /*unix_now: static accounts never expire*/) const {
  if (realm != realm_) return {};
  auto it = users_.find(user);
  if (it == users_.end()) return {};
  return {Lookup::Status::kFound, {it->second}};
}

NamedLookup StaticUsers::find_by_userhash(const Sha256Key& hash, std::string_view realm,
                                          std::int64_t unix_now) const {
  if (realm != realm_) return {};
  auto it = names_by_hash_.find(hash);
  if (it == names_by_hash_.end()) return {};
  return {find(it->second, realm, unix_now), it->second};
}

}  // namespace ferry::auth
