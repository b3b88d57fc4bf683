// coturn's user database schema (as Debian coturn 4.6.1's turnadmin makes it), written from what
// that turnadmin creates, plus Ferry's one extra table, which coturn never reads: a database
// stays usable by both servers and both turnadmins.
#pragma once

#include <string_view>

#include "ferry/common/expected.h"
#include "ferry/userdb/sqlite.h"

namespace ferry::userdb {

// RFC 8489 §18.5.1.2's SHA-256 key cannot be derived from the MD5 key coturn stores, so
// Ferry's turnadmin -a writes it here, with the MD5 key it was made beside (a password changed
// by coturn's turnadmin leaves this row behind with an MD5 key that no longer matches: the
// loader then drops it, see SnapshotBuilder::add_sha256).
inline constexpr std::string_view kSha256Table = "ferry_sha256_key";

// Creates every table that is missing (a new file gets the whole schema); leaves existing
// tables and rows alone.
Expected<void> create_schema(Database& db);

// Whether `table` exists.
Expected<bool> has_table(Database& db, std::string_view table);

}  // namespace ferry::userdb
