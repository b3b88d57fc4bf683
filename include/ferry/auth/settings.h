// Where credentials come from, as configured (the options of the "auth" section). The
// credential store is built from these once the realm is known (config/settings_build.cc).
#pragma once

#include <string>
#include <vector>

namespace ferry::auth {

struct AuthSettings {
  // TURN REST API (use-auth-secret; static-auth-secret implies it). In this mode the REST
  // secrets are the only credentials: `user` accounts are not consulted (as coturn).
  bool use_auth_secret = false;
  // static-auth-secret, each valid at once (rotation).
  std::vector<std::string> static_secrets;
  // rest-api-separator: one character between the expiry and the user in a REST username.
  std::string rest_separator = ":";
  // userdb: an SQLite file in coturn's schema (turnadmin -b). Its users are valid beside the
  // user= accounts, its turn_secret rows beside static-auth-secret (userdb_store.h).
  std::string userdb;

  bool rest_mode() const { return use_auth_secret || !static_secrets.empty(); }
  bool operator==(const AuthSettings&) const = default;
};

}  // namespace ferry::auth
