// A user database's contents at one moment (coturn's schema: users with their MD5 keys, TURN
// REST secrets, peer address lists, ORIGIN -> realm, realm options), immutable once built and
// shared read-only by every worker. Sources (SQLite now; Redis and PostgreSQL later) only feed
// rows into a SnapshotBuilder: the bounds, the row checks and the lookups are written once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ferry/auth/credential_store.h"
#include "ferry/common/expected.h"

namespace ferry::auth {

// What one snapshot may hold. A table above a bound is not loaded in part (which users would be
// left out would be arbitrary): the load fails, loudly, as an unreadable database does.
struct SnapshotLimits {
  std::size_t max_users = 1'000'000;  // measured: 1.2-3.8 s, 181-184 MB RSS (twice while reloading)
  // Every secret costs an HMAC-SHA1 and two key derivations per authenticated REST request.
  std::size_t max_secrets_per_realm = 64;
  std::size_t max_other_rows = 100'000;  // peer lists, origins, realm options, together
  // Longer fields are skipped with a warning (coturn's columns are varchar(512) for names and
  // varchar(127) for realms and secrets; SQLite does not enforce either).
  std::size_t max_field = 1024;
};

// Rows a snapshot skipped, for the load's log line.
struct SkippedRows {
  std::size_t bad_key = 0;       // hmackey is not 32 hex digits
  std::size_t empty_secret = 0;  // a turn_secret row whose value is empty
  std::size_t too_long = 0;      // a field over SnapshotLimits::max_field
  std::size_t stale_sha256 = 0;  // a SHA-256 key written for another password (see add_sha256)
  // turn_origin_to_realm: an origin that is no "scheme://host[:port]", or a realm that cannot
  // be a REALM attribute (RFC 8489 §14.9: empty, not UTF-8, 128 characters or more, controls).
  std::size_t bad_origin = 0;
  // turn_realm_option: a name other than max-bps, total-quota, user-quota, or a value that is
  // no decimal number.
  std::size_t bad_realm_option = 0;
  std::size_t total() const {
    return bad_key + empty_secret + too_long + stale_sha256 + bad_origin + bad_realm_option;
  }
};

struct UserDbSnapshot {
  // Looked up by string_view: no copy of the name per request.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  template <class V>
  using Map = std::unordered_map<std::string, V, Hash, std::equal_to<>>;
  struct Realm {
    Map<UserKeys> users;
    std::vector<std::string> secrets;           // turn_secret values, in the order read
    std::vector<std::string> allowed_peer_ips;  // allowed_peer_ip ranges (not used yet)
    std::vector<std::string> denied_peer_ips;   // denied_peer_ip ranges (not used yet)
    std::vector<std::pair<std::string, std::string>> options;  // turn_realm_option, as read
    RealmOptions limits;  // the options above that Ferry applies (coturn's three)
  };
  Map<Realm> realms;
  // turn_origin_to_realm, keyed by canonical_origin() (so a row written by coturn's turnadmin,
  // ours, or by hand in another case matches what a client sends).
  Map<std::string> origin_to_realm;
  std::size_t users = 0;
  std::size_t secrets = 0;
  std::size_t other_rows = 0;
  SkippedRows skipped;

  const Realm* realm(std::string_view name) const;
  // "12 users, 2 secrets, 0 other rows in 1 realm" (+ what was skipped), for the logs.
  std::string summary() const;
};

class SnapshotBuilder {
 public:
  explicit SnapshotBuilder(SnapshotLimits limits = {}) : limits_(limits) {}
  // Each add fails (and the load with it) only when a bound of SnapshotLimits is passed; a bad
  // row is skipped and counted.
  // turnusers_lt: `hmackey` as coturn writes it, 32 hex digits of MD5(name:realm:password).
  Expected<void> add_user(std::string_view realm, std::string_view name, std::string_view hmackey);
  // Ferry's extra table: the SHA-256 key of the same password, used only while the MD5 key
  // stored beside it still equals the user's hmackey (coturn's turnadmin changing the password
  // rewrites hmackey only: the old password's SHA-256 key must then die). Call after add_user.
  void add_sha256(std::string_view realm, std::string_view name, std::string_view md5_hex,
                  std::string_view sha256_hex);
  Expected<void> add_secret(std::string_view realm, std::string_view value);
  Expected<void> add_allowed_peer(std::string_view realm, std::string_view range);
  Expected<void> add_denied_peer(std::string_view realm, std::string_view range);
  Expected<void> add_origin(std::string_view origin, std::string_view realm);
  Expected<void> add_realm_option(std::string_view realm, std::string_view opt,
                                  std::string_view value);
  std::shared_ptr<const UserDbSnapshot> finish() &&;
  // A source may refuse early (before fetching values) what the bounds would refuse anyway.
  const SnapshotLimits& limits() const { return limits_; }

 private:
  bool too_long(std::string_view a, std::string_view b = {});
  Expected<void> count_other();
  SnapshotLimits limits_;
  std::shared_ptr<UserDbSnapshot> snap_ = std::make_shared<UserDbSnapshot>();
};

// Where a snapshot comes from. One per database kind; a source is used by one thread at a time
// (the refresher), so it may keep a connection open between calls.
class UserDbSource {
 public:
  virtual ~UserDbSource() = default;
  // "SQLite database /var/lib/turn/turndb", for log lines.
  virtual std::string describe() const = 0;
  // A cheap token that changes whenever the contents may have (SQLite: the file's identity and
  // PRAGMA data_version); a failure when the database cannot be reached.
  virtual Expected<std::string> version() = 0;
  // Every row, fed to `into`; a failure (unreadable, corrupt, a bound passed) says why.
  virtual Expected<void> load(SnapshotBuilder& into) = 0;
};

}  // namespace ferry::auth
