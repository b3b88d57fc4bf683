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
  Md5Key key{};
  if (secret.size() > 2 && secret[0] == '0' && (secret[1] == 'x' || secret[1] == 'X')) {
    auto k = parse_hex_key(secret);
    if (!k) return fail("a key given as 0x... must have exactly 32 hex digits");
    key = *k;
  } else {
    key = md5_key(name, realm_, secret);
  }
  users_.insert_or_assign(std::string(name), key);
  return {};
}

std::optional<Md5Key> StaticUsers::key(std::string_view user, std::string_view realm) const {
  if (realm != realm_) return std::nullopt;
  auto it = users_.find(user);
  if (it == users_.end()) return std::nullopt;
  return it->second;
}

}  // namespace ferry::auth
