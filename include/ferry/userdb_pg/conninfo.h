// psql-userdb's value: a libpq connection string ("host=... dbname=... user=... password=...")
// or URI (postgresql://user:password@host:port/dbname), as coturn takes it. Checked with
// libpq's own parser; the password is never part of a message.
#pragma once

#include <string>
#include <string_view>

#include "ferry/common/expected.h"

namespace ferry::userdb_pg {

struct PgConnInfo {
  std::string conninfo;   // as given (holds the password: never log it)
  std::string described;  // "PostgreSQL database turn on 127.0.0.1:5432 as user turn"
  std::string password;   // to scrub from messages, should a server ever echo it
  // libpq's connect_timeout, and how long a query may go without progress. An absent or 0
  // value (libpq: wait forever) reads as the default; larger ones are capped, so a database
  // that does not answer never holds the refresher (or a SIGTERM) for long.
  int timeout_s = kDefaultTimeout;
  static constexpr int kDefaultTimeout = 5;
  static constexpr int kMaxTimeout = 10;
};

Expected<PgConnInfo> parse_pg_conninfo(std::string_view text);

// `message` with every occurrence of `password` (of 4 bytes or more) replaced by "***" and, with
// `hide_quoted`, every double-quoted word that is not one of libpq's option names replaced by
// "..." (libpq's parse errors quote pieces of the string, which may be a password).
std::string scrub(std::string message, std::string_view password, bool hide_quoted = false);

}  // namespace ferry::userdb_pg
