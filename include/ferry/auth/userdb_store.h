// Credentials from a user database (userdb; coturn's schema), beside those of the configuration.
// Workers never wait on the database: they read an immutable snapshot published through an
// atomic pointer; the Runtime's refresher thread polls the source about once a second, reloads
// only when it changed, and publishes the new snapshot whole.
//
// Staleness: a change is seen within one poll period plus the load (about 2 s for a database
// of ordinary size; the load time is logged). Outage: while the database cannot be read
// (removed, corrupt, locked), the last snapshot keeps serving for `serve_stale_for` (30 s), so
// a file replaced or a write lock held for a moment costs nothing; after that the database's
// users and secrets are refused (401, fail closed) until it reads again, which needs no
// restart. Credentials of the configuration itself (user=, static-auth-secret) stay valid
// throughout, and allocations already made keep relaying: only new authentications are asked.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ferry/auth/credential_store.h"
#include "ferry/auth/refresher.h"
#include "ferry/auth/rest_secrets.h"
#include "ferry/auth/userdb_snapshot.h"

namespace ferry::auth {

struct UserDbStoreSettings {
  // The configured realm. Its rows are used for every request; another realm's rows only for
  // requests whose ORIGIN turn_origin_to_realm maps to that realm (coturn's dynamic realms).
  std::string realm;
  // REST mode (use-auth-secret): the valid secrets are static_secrets plus the database's
  // turn_secret rows of the realm (as coturn: the configured secrets are valid in every realm),
  // users are not consulted.
  bool rest_mode = false;
  char separator = ':';
  std::vector<std::string> static_secrets;
  // Long-term mode: the user= accounts. On a name in both, the configuration's account wins
  // (as coturn, which looks in its static accounts first): a database cannot override it.
  std::shared_ptr<const StaticUsers> static_users;
  Duration poll = Seconds(1);
  // How long the last snapshot serves while the database cannot be read. Long enough for a
  // file replaced by a copy, a VACUUM or a long write transaction; short enough that a
  // database removed on purpose stops authenticating within half a minute.
  std::int64_t serve_stale_for = 30;
  // The outage's error line repeats at most this often (the first one is immediate).
  std::int64_t log_every = 60;
  // A load that failed is tried again this long after, unless the database changes first.
  std::int64_t retry_failed_load_after = 30;
  SnapshotLimits limits;
};

class UserDbStore final : public CredentialStore, public BackgroundRefresh {
 public:
  UserDbStore(std::unique_ptr<UserDbSource> source, UserDbStoreSettings settings);

  Lookup find(std::string_view user, std::string_view realm, std::int64_t unix_now) const override;
  // RFC 8489 §14.4 USERHASH, in long-term mode: the configuration's accounts first, then an index
  // of SHA-256(name ":" realm) built with each snapshot (on the refresher thread, not a worker).
  // A REST name cannot be found from its hash.
  NamedLookup find_by_userhash(const Sha256Key& hash, std::string_view realm,
                               std::int64_t unix_now) const override;
  bool supports_userhash() const override { return !settings_.rest_mode; }
  // turn_origin_to_realm and turn_realm_option of the snapshot in use (also while the database
  // is unreadable: the mapping only routes; the credentials of its realms fail closed then).
  std::optional<RealmMatch> realm_for_origin(std::string_view origin) const override;
  RealmOptions realm_options(std::string_view realm) const override;
  void refresh(std::int64_t unix_now, Logger& log) override;
  Duration period() const override { return settings_.poll; }

  // The snapshot in use (null before the first successful load), and whether the database's
  // credentials are accepted at `unix_now` (false once the outage bound has passed).
  std::shared_ptr<const UserDbSnapshot> snapshot() const;
  bool database_usable(std::int64_t unix_now) const;
  const std::string& source_name() const { return source_name_; }

 private:
  // What the workers read: the snapshot and, in REST mode, the secrets it makes valid.
  struct Published {
    std::shared_ptr<const UserDbSnapshot> snapshot;
    // REST mode: each realm's valid secrets (the configured realm's always; every realm of the
    // snapshot's besides).
    UserDbSnapshot::Map<RestSecrets> rest;
    // Long-term mode: every realm's users by USERHASH (the hash covers the realm), as (the
    // hash's first 8 bytes, the name in `snapshot`) sorted by the prefix: 16 bytes a user (a map
    // of full hashes to copied names took ~130 MB more for a million users). A prefix match is
    // confirmed by recomputing the name's hash in the request's realm.
    std::vector<std::pair<std::uint64_t, const std::string*>> names_by_hash;
  };
  void publish(std::shared_ptr<const UserDbSnapshot> snap);
  void on_failure(std::int64_t unix_now, const std::string& why, Logger& log);

  const UserDbStoreSettings settings_;
  const RestSecrets static_rest_;  // REST mode without a usable database
  std::atomic<std::shared_ptr<const Published>> published_;
  // When the published snapshot was last known to match the database (wall-clock seconds).
  std::atomic<std::int64_t> confirmed_at_;

  // The refresher's own (one thread at a time).
  std::unique_ptr<UserDbSource> source_;
  const std::string source_name_;
  std::string version_;
  // A load that failed (a bound passed, a corrupt page) is not retried for the same version
  // before retry_at_: reading a million rows every second to fail again would be a CPU burn.
  std::string failed_version_;
  std::string failed_why_;
  std::int64_t retry_at_ = 0;
  std::int64_t failing_since_ = -1;  // -1: reading fine
  std::int64_t last_failure_log_ = 0;
  bool closed_logged_ = false;
};

}  // namespace ferry::auth
