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

}  // namespace ferry::userdb_redis
