// redis-userdb's connection string, in coturn's format: space-separated key=value words,
// every one optional ("ip=127.0.0.1 dbname=0 password=... port=6379 connect_timeout=30").
// coturn's spellings are all accepted (host/ip/addr/ipaddr/hostaddr, dbname/db/database,
// password/pwd/passwd/secret, port/p, connect_timeout/timeout; user/uname/name/username are
// read and ignored, as coturn does). Pure: no connection is made here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ferry/common/expected.h"

namespace ferry::userdb_redis {

struct RedisConnInfo {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  int db = 0;
  std::string password;  // never logged: describe() leaves it out
  // Bounds the connect and every command (a hung Redis never holds the refresher longer).
  // coturn's 0 means "wait forever"; Ferry reads an absent or 0 value as the default and caps
  // larger ones, so a SIGTERM is never held up for long by a Redis that does not answer.
  int timeout_s = kDefaultTimeout;
  static constexpr int kDefaultTimeout = 5;
  static constexpr int kMaxTimeout = 10;
};

// A failure names the word that is wrong, never a value (a stray word may be a password).
Expected<RedisConnInfo> parse_redis_conninfo(std::string_view text);

// "Redis database 127.0.0.1:6379/0" (with ", password set" when there is one): for logs.
std::string describe(const RedisConnInfo& info);

}  // namespace ferry::userdb_redis
