// The user database in Redis (redis-userdb), in coturn's key layout (layout.h), read whole
// into a snapshot by the refresher thread.
//
// Noticing changes cheaply: Redis keeps no per-database change counter, so version() reads the
// server's own: INFO's run_id (a restart), rdb_saves and rdb_changes_since_last_save (every
// write to any database of that server bumps one of them). Any write, even to unrelated keys,
// therefore costs a reload (its time is logged); a quiet Redis costs one INFO a second. A Redis
// older than 7.0 has no rdb_saves: there rdb_last_save_time stands in, and a write followed by
// a SAVE within the same second as an earlier SAVE could go unseen, so every source also
// reloads once every kFullReloadPolls polls whatever the counters say.
//
// Reading: SCAN over turn/* (never KEYS, which blocks Redis), MGET in batches, SCARD before
// SMEMBERS; the snapshot's bounds apply (and a key space far larger than they allow is refused
// before its values are fetched). Not a snapshot of one instant: a write during the load is
// seen by the next one, as its counters changed.
#pragma once

#include <optional>
#include <string>

#include "ferry/auth/userdb_snapshot.h"
#include "ferry/userdb_redis/client.h"
#include "ferry/userdb_redis/conninfo.h"

namespace ferry::userdb_redis {

inline constexpr int kFullReloadPolls = 60;

class RedisSource final : public auth::UserDbSource {
 public:
  explicit RedisSource(RedisConnInfo info) : info_(std::move(info)) {}
  std::string describe() const override { return userdb_redis::describe(info_); }
  Expected<std::string> version() override;
  Expected<void> load(auth::SnapshotBuilder& into) override;
  // How many keys under turn/ a load may look at before it gives up (from the builder's
  // bounds: three keys a user, plus everything else).
  static std::size_t key_bound(const auth::SnapshotLimits& limits);

 private:
  Expected<RedisClient*> client();
  Expected<void> load_keys(RedisClient& c, auth::SnapshotBuilder& into);
  RedisConnInfo info_;
  std::optional<RedisClient> client_;
  unsigned polls_ = 0;
};

}  // namespace ferry::userdb_redis
