// The user database in an SQLite file (userdb=FILE): coturn's tables, read whole into a
// snapshot. Changes are noticed cheaply: the file's identity, size and modification time, and
// SQLite's PRAGMA data_version (it changes when another connection commits), checked once a
// poll. A file replaced by another (a restore, `mv new.db turndb`) is reopened.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "ferry/auth/userdb_snapshot.h"
#include "ferry/userdb/sqlite.h"

namespace ferry::userdb {

class SqliteSource final : public auth::UserDbSource {
 public:
  explicit SqliteSource(std::string path) : path_(std::move(path)) {}
  std::string describe() const override { return "SQLite database " + path_; }
  Expected<std::string> version() override;
  Expected<void> load(auth::SnapshotBuilder& into) override;

 private:
  Expected<void> load_tables(auth::SnapshotBuilder& into);
  std::string path_;
  std::optional<Database> db_;  // read-only; reopened when the file is replaced
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

// For --check-config and the start: the file opens as an SQLite database with coturn's user
// tables. A missing file is not an error here (the server starts, and loads it once made).
Expected<void> check_database(const std::string& path);

}  // namespace ferry::userdb
