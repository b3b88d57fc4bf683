#include "ferry/auth/userdb_store.h"

#include <algorithm>
#include <chrono>
#include <limits>

namespace ferry::auth {

namespace {

constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::min() / 2;

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The first 8 bytes of a SHA-256 value: as good a sort key as any of its bits.
std::uint64_t hash_prefix(const Sha256Key& h) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | h[i];
  return v;
}

}  // namespace

UserDbStore::UserDbStore(std::unique_ptr<UserDbSource> source, UserDbStoreSettings settings)
    : settings_(std::move(settings)),
      static_rest_(settings_.static_secrets, settings_.realm, settings_.separator),
      published_(std::make_shared<const Published>()),
      confirmed_at_(kNever),
      source_(std::move(source)),
      source_name_(source_->describe()) {}

std::shared_ptr<const UserDbSnapshot> UserDbStore::snapshot() const {
  return published_.load(std::memory_order_acquire)->snapshot;
}

bool UserDbStore::database_usable(std::int64_t unix_now) const {
  const std::int64_t confirmed = confirmed_at_.load(std::memory_order_acquire);
  // The wall clock can be stepped either way. Forward: fails closed until the next good poll.
  // Back: bounded on that side too, or a clock set back a day would serve a database that is
  // gone for a day; a good poll at the new time makes it usable again within a second.
  const std::int64_t age = unix_now - confirmed;
  return age <= settings_.serve_stale_for && age >= -settings_.serve_stale_for;
}

Lookup UserDbStore::find(std::string_view user, std::string_view realm,
                         std::int64_t unix_now) const {
  // The core asks in the configured realm, or in the realm a request's ORIGIN mapped to (a
  // realm of the snapshot): another realm's rows never answer a request of this one.
  const bool configured = realm == settings_.realm;
  const auto published = published_.load(std::memory_order_acquire);
  const bool usable = published->snapshot != nullptr && database_usable(unix_now);
  if (settings_.rest_mode) {
    // The secrets of the configuration alone while the database is not usable.
    if (usable) {
      auto it = published->rest.find(realm);
      if (it != published->rest.end()) return it->second.find(user, realm, unix_now);
    }
    if (configured) return static_rest_.find(user, realm, unix_now);
    if (published->snapshot == nullptr || published->snapshot->realm(realm) == nullptr) return {};
    return RestSecrets(settings_.static_secrets, std::string(realm), settings_.separator)
        .find(user, realm, unix_now);
  }
  if (settings_.static_users && configured) {
    Lookup own = settings_.static_users->find(user, realm, unix_now);
    if (own.status == Lookup::Status::kFound) return own;  // the configuration wins
  }
  if (!usable) return {};
  const UserDbSnapshot::Realm* r = published->snapshot->realm(realm);
  if (r == nullptr) return {};
  auto it = r->users.find(user);
  if (it == r->users.end()) return {};
  return {Lookup::Status::kFound, {it->second}};
}

NamedLookup UserDbStore::find_by_userhash(const Sha256Key& hash, std::string_view realm,
                                          std::int64_t unix_now) const {
  if (settings_.rest_mode) return {};
  if (settings_.static_users && realm == settings_.realm) {
    NamedLookup own = settings_.static_users->find_by_userhash(hash, realm, unix_now);
    if (own.lookup.status == Lookup::Status::kFound) return own;  // the configuration wins
  }
  const auto published = published_.load(std::memory_order_acquire);
  const auto& index = published->names_by_hash;
  const std::uint64_t prefix = hash_prefix(hash);
  auto it = std::lower_bound(index.begin(), index.end(), prefix,
                             [](const auto& entry, std::uint64_t p) { return entry.first < p; });
  for (; it != index.end() && it->first == prefix; ++it) {
    if (userhash(*it->second, realm) == hash) {
      return {find(*it->second, realm, unix_now), *it->second};
    }
  }
  return {};
}

std::optional<RealmMatch> UserDbStore::realm_for_origin(std::string_view origin) const {
  const auto published = published_.load(std::memory_order_acquire);
  if (published->snapshot == nullptr) return std::nullopt;
  const auto& map = published->snapshot->origin_to_realm;
  auto it = map.find(origin);
  if (it == map.end()) return std::nullopt;
  const UserDbSnapshot::Realm* r = published->snapshot->realm(it->second);
  return RealmMatch{it->second, r != nullptr ? r->limits : RealmOptions{}};
}

RealmOptions UserDbStore::realm_options(std::string_view realm) const {
  const auto published = published_.load(std::memory_order_acquire);
  if (published->snapshot == nullptr) return {};
  const UserDbSnapshot::Realm* r = published->snapshot->realm(realm);
  return r != nullptr ? r->limits : RealmOptions{};
}

void UserDbStore::publish(std::shared_ptr<const UserDbSnapshot> snap) {
  auto next = std::make_shared<Published>();
  if (!settings_.rest_mode) {
    next->names_by_hash.reserve(snap->users);
    for (const auto& [realm, r] : snap->realms) {
      for (const auto& [name, keys] : r.users) {
        // Keys of the snapshot's maps never move; `next` holds the snapshot they live in.
        next->names_by_hash.emplace_back(hash_prefix(userhash(name, realm)), &name);
      }
    }
    std::sort(next->names_by_hash.begin(), next->names_by_hash.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
  } else {
    // One RestSecrets per realm of the snapshot (bounded by its rows) and the configured one.
    auto add = [&](const std::string& realm, const UserDbSnapshot::Realm* r) {
      std::vector<std::string> secrets = settings_.static_secrets;
      if (r != nullptr) secrets.insert(secrets.end(), r->secrets.begin(), r->secrets.end());
      next->rest.try_emplace(realm, std::move(secrets), realm, settings_.separator);
    };
    add(settings_.realm, snap->realm(settings_.realm));
    for (const auto& [realm, r] : snap->realms) add(realm, &r);
  }
  next->snapshot = std::move(snap);
  published_.store(std::move(next), std::memory_order_release);
}

void UserDbStore::refresh(std::int64_t unix_now, Logger& log) {
  auto version = source_->version();
  if (!version) return on_failure(unix_now, version.error(), log);
  const bool have = snapshot() != nullptr;
  if (!have || *version != version_) {
    if (*version == failed_version_ && unix_now < retry_at_) {
      return on_failure(unix_now, failed_why_, log);
    }
    const std::int64_t started = steady_ms();
    SnapshotBuilder builder(settings_.limits);
    if (auto loaded = source_->load(builder); !loaded) {
      failed_version_ = *version;
      failed_why_ = loaded.error();
      retry_at_ = unix_now + settings_.retry_failed_load_after;
      return on_failure(unix_now, loaded.error(), log);
    }
    failed_version_.clear();
    auto snap = std::move(builder).finish();
    const std::string summary = snap->summary();
    const auto* mine = snap->realm(settings_.realm);
    const std::size_t users = mine ? mine->users.size() : 0;
    const std::size_t secrets = mine ? mine->secrets.size() : 0;
    const std::size_t origins = snap->origin_to_realm.size();
    publish(std::move(snap));
    version_ = *version;
    // Every load says what it holds and what it cost: a table that grows shows in the log
    // long before a bound of SnapshotLimits stops it.
    log.info("userdb: loaded " + source_name_ + " in " + std::to_string(steady_ms() - started) +
             " ms: " + summary + "; realm '" + settings_.realm + "': " + std::to_string(users) +
             (settings_.rest_mode ? " users (not used: REST mode), " : " users, ") +
             std::to_string(secrets) + (settings_.rest_mode ? " secrets" : " secrets (not used)") +
             "; " + std::to_string(origins) + " origins mapped to realms");
  }
  confirmed_at_.store(unix_now, std::memory_order_release);
  if (failing_since_ >= 0) {
    log.warning("userdb: " + source_name_ + " is readable again after " +
                std::to_string(unix_now - failing_since_) + " s; its credentials are accepted");
  }
  failing_since_ = -1;
  closed_logged_ = false;
}

// Rate-limited: the first failure at once, then one line a minute while it lasts, and one when
// the outage bound passes and new authentications start failing.
void UserDbStore::on_failure(std::int64_t unix_now, const std::string& why, Logger& log) {
  const bool first = failing_since_ < 0;
  if (first) failing_since_ = unix_now;
  const bool have = snapshot() != nullptr;
  if (!database_usable(unix_now)) {
    if (!closed_logged_) {
      closed_logged_ = true;
      last_failure_log_ = unix_now;
      log.error("userdb: " + source_name_ + ": " + why + "; " +
                (have ? "unreadable for " + std::to_string(unix_now - failing_since_) +
                            " s: its users and secrets are refused (401) until it reads again"
                      : std::string("nothing loaded yet: its users and secrets are refused until "
                                    "it reads")));
      return;
    }
  } else if (first) {
    last_failure_log_ = unix_now;
    log.error("userdb: " + source_name_ + ": " + why + "; serving the last snapshot for up to " +
              std::to_string(settings_.serve_stale_for) +
              " s, then its users and secrets are refused until it reads again");
    return;
  }
  if (unix_now - last_failure_log_ >= settings_.log_every) {
    last_failure_log_ = unix_now;
    log.error("userdb: " + source_name_ + " still unreadable after " +
              std::to_string(unix_now - failing_since_) + " s: " + why);
  }
}

}  // namespace ferry::auth
