// The TURN REST API (draft-uberti-behave-turn-rest-00 §2.2, as coturn implements it): a web
// service and this server share a secret; the service hands a browser the username
// "<expiry>:<user>" and the password base64(HMAC-SHA1(secret, username)), and the server
// recomputes the password from the username. Nothing per user is stored anywhere.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/auth/credential_store.h"

namespace ferry::auth {

// base64(HMAC-SHA1(secret, username)): the password a REST username has under `secret`.
std::string rest_password(std::string_view secret, std::string_view username);

// The expiry (Unix seconds) a REST username carries, in any of the forms seen in the field:
// "<expiry><sep><user>" (the draft's), "<user><sep><expiry>" and a bare "<expiry>". nullopt when
// the name carries none: such a name is never valid, since it would never expire.
std::optional<std::int64_t> rest_expiry(std::string_view username, char separator);

// Every listed secret is valid at once (rotation: add the new one, let the old one's
// credentials expire, remove it). In REST mode static accounts are not consulted (as coturn).
class RestSecrets final : public CredentialStore {
 public:
  RestSecrets(std::vector<std::string> secrets, std::string realm, char separator)
      : secrets_(std::move(secrets)), realm_(std::move(realm)), separator_(separator) {}
  std::size_t size() const { return secrets_.size(); }
  Lookup find(std::string_view user, std::string_view realm, std::int64_t unix_now) const override;

 private:
  std::vector<std::string> secrets_;
  std::string realm_;
  char separator_;
};

}  // namespace ferry::auth
