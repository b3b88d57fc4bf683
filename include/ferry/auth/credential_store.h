// Where long-term credentials come from (RFC 8489 §9.2). The core asks for a key by user and
// realm; static users now, REST secrets and databases later, without touching the core.
// Implementations are immutable once built and shared read-only by every worker.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ferry/auth/long_term_key.h"
#include "ferry/common/expected.h"

namespace ferry::auth {

class CredentialStore {
 public:
  virtual ~CredentialStore() = default;
  // The MD5 long-term key of `user` in `realm`; nullopt for an unknown user. Usernames are data:
  // compared as bytes, never interpreted.
  virtual std::optional<Md5Key> key(std::string_view user, std::string_view realm) const = 0;
};

// `user=name:password` and `user=name:0x<32 hex digits>` lines (coturn's syntax). The key of a
// plain password is derived once, at load, for the configured realm.
class StaticUsers final : public CredentialStore {
 public:
  explicit StaticUsers(std::string realm) : realm_(std::move(realm)) {}
  // Adds one entry; fails, saying why, if it is not NAME:PASSWORD or NAME:0xKEY.
  Expected<void> add(std::string_view entry);
  std::size_t size() const { return users_.size(); }
  std::optional<Md5Key> key(std::string_view user, std::string_view realm) const override;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::string realm_;
  std::unordered_map<std::string, Md5Key, Hash, std::equal_to<>> users_;
};

}  // namespace ferry::auth
