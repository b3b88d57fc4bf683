// A blocking Redis connection (hiredis) for the refresher thread and turnadmin: every command
// is sent as binary-safe arguments, every wait is bounded by the connection's timeout, and a
// connection that failed once is dropped (the owner reconnects on its next use).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/common/expected.h"
#include "ferry/userdb_redis/conninfo.h"

struct redisContext;

namespace ferry::userdb_redis {

// A reply, copied out of hiredis's.
struct RedisValue {
  enum class Type { kNil, kString, kStatus, kInteger, kArray, kError };
  Type type = Type::kNil;
  std::string text;  // kString, kStatus, kError
  long long integer = 0;
  std::vector<RedisValue> elements;  // kArray
};

class RedisClient {
 public:
  // Connects, sends AUTH (when a password is set) and SELECT (when db is not 0). A refused
  // password is a failure that says so; the password itself is never in a message.
  static Expected<RedisClient> connect(const RedisConnInfo& info);
  RedisClient(RedisClient&&) noexcept = default;
  RedisClient& operator=(RedisClient&&) noexcept = default;

  // One command; an error reply is a failure too (its text is Redis's). After a failure of the
  // connection itself (timeout, reset), broken() is true and the client must be replaced.
  Expected<RedisValue> command(const std::vector<std::string_view>& args);
  // Several commands in one round trip, replies in order (error replies are values here).
  Expected<std::vector<RedisValue>> pipeline(
      const std::vector<std::vector<std::string_view>>& cmds);
  bool broken() const { return broken_; }

 private:
  struct Free {
    void operator()(redisContext* c) const;
  };
  RedisClient(redisContext* c, std::string where) : ctx_(c), where_(std::move(where)) {}
  Failure connection_failure();
  std::unique_ptr<redisContext, Free> ctx_;
  std::string where_;  // "Redis 127.0.0.1:6379", for messages
  bool broken_ = false;
};

// SCAN ends when its cursor comes back to "0", which Redis guarantees within about
// DBSIZE / COUNT steps (a step returns once it has COUNT keys or has visited 10 * COUNT empty
// buckets). Something else answering RESP (a buggy proxy) may never say "0": a walk stops with
// an error after this many steps, 16 times what DBSIZE says plus 1,000 (a margin for keys added
// during the walk and for sparse tables), instead of holding its thread forever.
Expected<std::size_t> scan_step_bound(RedisClient& c, std::size_t count);

}  // namespace ferry::userdb_redis
