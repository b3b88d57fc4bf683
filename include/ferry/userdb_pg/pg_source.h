// The user database in PostgreSQL (psql-userdb), in coturn's tables (the same as SQLite's),
// read whole into a snapshot by the refresher thread.
//
// Noticing changes: version() asks, for each of the tables, its row count and the largest
// xmin (the ID of the transaction that wrote each row version). Every INSERT and UPDATE writes
// a row with a new, larger transaction ID, and every DELETE lowers a count, so the token
// changes with every committed change, needs no trigger, no privilege and no setting on a
// database coturn made, and carries no data: a sequential scan of each table on the server
// (milliseconds for thousands of users; about 0.1 s for a million). Cheaper counters exist
// (pg_stat_user_tables) but lag by up to a second or more, vanish with track_counts off and are
// reset by pg_stat_reset. The one blind spot, an UPDATE right after transaction ID
// wraparound, is covered by a full reload every kFullReloadPolls polls.
//
// Reading: one REPEATABLE READ, READ ONLY transaction (one consistent state), rows streamed one
// at a time into the builder, whose bounds apply.
#pragma once

#include <optional>
#include <string>

#include "ferry/auth/userdb_snapshot.h"
#include "ferry/userdb_pg/client.h"
#include "ferry/userdb_pg/conninfo.h"

namespace ferry::userdb_pg {

inline constexpr int kFullReloadPolls = 60;

class PgSource final : public auth::UserDbSource {
 public:
  explicit PgSource(PgConnInfo info) : info_(std::move(info)) {}
  std::string describe() const override { return info_.described; }
  Expected<std::string> version() override;
  Expected<void> load(auth::SnapshotBuilder& into) override;

 private:
  Expected<PgClient*> client();
  Expected<std::vector<bool>> tables(PgClient& c);
  Expected<void> load_tables(PgClient& c, const std::vector<bool>& have,
                             auth::SnapshotBuilder& into);
  PgConnInfo info_;
  std::optional<PgClient> client_;
  unsigned polls_ = 0;
};

}  // namespace ferry::userdb_pg
