// Where long-term credentials come from (RFC 8489 §9.2). The core asks for the keys of a user
// in a realm; static users, TURN REST secrets and databases answer, without touching the core.
// Implementations are immutable once built (a database store swaps an immutable snapshot
// inside) and shared read-only by every worker.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ferry/auth/long_term_key.h"
#include "ferry/common/expected.h"

namespace ferry::auth {

// The keys one password gives (RFC 8489 §9.2.2 MD5, §18.5.1.2 SHA-256). The SHA-256 key is
// known only where the password is: a key stored as coturn's `0x<MD5>` has none.
struct UserKeys {
  Md5Key md5{};
  std::optional<Sha256Key> sha256;
  bool operator==(const UserKeys&) const = default;
};

// What a store knows of a user at one moment.
struct Lookup {
  enum class Status : std::uint8_t {
    kFound,    // `keys` holds every key a request of this user may be signed with
    kUnknown,  // no such user in this realm (also: a REST name without a readable expiry)
    kExpired,  // a time-limited credential (TURN REST) whose expiry has passed
  };
  Status status = Status::kUnknown;
  // More than one while TURN REST secrets rotate: each valid secret gives its own password.
  std::vector<UserKeys> keys;
};

class CredentialStore {
 public:
  virtual ~CredentialStore() = default;
  // The keys of `user` in `realm` at wall-clock time `unix_now` (seconds since 1970: TURN REST
  // names carry their expiry so). Usernames are data: compared as bytes, never interpreted
  // beyond what the scheme defines.
  virtual Lookup find(std::string_view user, std::string_view realm,
                      std::int64_t unix_now) const = 0;
};

// `user=name:password` and `user=name:0x<32 hex digits>` lines (coturn's syntax). The keys of a
// plain password are derived once, at load, for the configured realm.
class StaticUsers final : public CredentialStore {
 public:
  explicit StaticUsers(std::string realm) : realm_(std::move(realm)) {}
  // Adds one entry; fails, saying why, if it is not NAME:PASSWORD or NAME:0xKEY.
  Expected<void> add(std::string_view entry);
  std::size_t size() const { return users_.size(); }
  Lookup find(std::string_view user, std::string_view realm, std::int64_t unix_now) const override;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::string realm_;
  std::unordered_map<std::string, UserKeys, Hash, std::equal_to<>> users_;
};

}  // namespace ferry::auth
