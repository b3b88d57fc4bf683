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

// A Lookup by USERHASH, with the name the hash stands for (kFound only).
struct NamedLookup {
  Lookup lookup;
  std::string user;
};

// What a realm changes of the global limits (coturn's turn_realm_option rows: max-bps,
// total-quota, user-quota). nullopt: the configured value applies; 0: no limit, as in coturn.
struct RealmOptions {
  std::optional<std::uint64_t> user_quota;
  std::optional<std::uint64_t> total_quota;
  std::optional<std::uint64_t> max_bps;
  bool operator==(const RealmOptions&) const = default;
};

// The realm an ORIGIN maps to (coturn's turn_origin_to_realm), with its options.
struct RealmMatch {
  std::string realm;
  RealmOptions options;
};

class CredentialStore {
 public:
  virtual ~CredentialStore() = default;
  // The keys of `user` in `realm` at wall-clock time `unix_now` (seconds since 1970: TURN REST
  // names carry their expiry so). Usernames are data: compared as bytes, never interpreted
  // beyond what the scheme defines.
  virtual Lookup find(std::string_view user, std::string_view realm,
                      std::int64_t unix_now) const = 0;
  // RFC 8489 §9.2.4, §14.4: the user whose SHA-256(username ":" realm) is `hash`, and its keys.
  // A hash cannot be reversed, so only a store that indexes its names by hash can answer; the
  // default is "unknown" (TURN REST names are made up by the web service: no index exists).
  virtual NamedLookup find_by_userhash(const Sha256Key& /*hash*/, std::string_view /*realm*/,
                                       std::int64_t /*unix_now*/) const {
    return {};
  }
  // Whether find_by_userhash() can answer: the nonce cookie's "Username anonymity" bit
  // (RFC 8489 §9.2.4: set only by a server that supports it).
  virtual bool supports_userhash() const { return false; }
  // The realm `origin` (in auth::canonical_origin() form) maps to; nullopt for an origin the
  // store does not map (the configured realm is then the request's). Only a store with a
  // database maps origins: realms come from the operator, never from what a client sends.
  virtual std::optional<RealmMatch> realm_for_origin(std::string_view /*origin*/) const {
    return std::nullopt;
  }
  // The options of `realm` (none set: every global limit applies).
  virtual RealmOptions realm_options(std::string_view /*realm*/) const { return {}; }
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
  // From an index of SHA-256(name ":" realm) built as the names are added.
  NamedLookup find_by_userhash(const Sha256Key& hash, std::string_view realm,
                               std::int64_t unix_now) const override;
  bool supports_userhash() const override { return true; }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // The first 8 bytes of a SHA-256 value are as good a hash as any of its bits.
  struct DigestHash {
    std::size_t operator()(const Sha256Key& k) const {
      std::size_t h = 0;
      for (std::size_t i = 0; i < sizeof h; ++i) h = (h << 8) | k[i];
      return h;
    }
  };
  std::string realm_;
  std::unordered_map<std::string, UserKeys, Hash, std::equal_to<>> users_;
  std::unordered_map<Sha256Key, std::string, DigestHash> names_by_hash_;
};

}  // namespace ferry::auth
