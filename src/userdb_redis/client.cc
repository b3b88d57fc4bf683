#include "ferry/userdb_redis/client.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <cerrno>
#include <limits>

namespace ferry::userdb_redis {

namespace {

struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;

RedisValue convert(const redisReply& r) {
  RedisValue v;
  switch (r.type) {
    case REDIS_REPLY_STRING:
      v.type = RedisValue::Type::kString;
      v.text.assign(r.str, r.len);
      break;
    case REDIS_REPLY_STATUS:
      v.type = RedisValue::Type::kStatus;
      v.text.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ERROR:
      v.type = RedisValue::Type::kError;
      v.text.assign(r.str, r.len);
      break;
    case REDIS_REPLY_INTEGER:
      v.type = RedisValue::Type::kInteger;
      v.integer = r.integer;
      break;
    case REDIS_REPLY_ARRAY:
      v.type = RedisValue::Type::kArray;
      v.elements.reserve(r.elements);
      for (std::size_t i = 0; i < r.elements; ++i) v.elements.push_back(convert(*r.element[i]));
      break;
    default:
      v.type = RedisValue::Type::kNil;
      break;
  }
  return v;
}

// hiredis wants parallel arrays of pointers and lengths.
struct Argv {
  explicit Argv(const std::vector<std::string_view>& args) {
    ptrs.reserve(args.size());
    lens.reserve(args.size());
    for (auto a : args) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
  }
  std::vector<const char*> ptrs;
  std::vector<std::size_t> lens;
};

}  // namespace

void RedisClient::Free::operator()(redisContext* c) const {
  redisFree(c);
}

Failure RedisClient::connection_failure() {
  broken_ = true;
  const int err = ctx_->err;
  std::string why = ctx_->errstr;
  // hiredis reports a socket timeout as an I/O error with EAGAIN's text.
  if (err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    why = "no answer within the timeout";
  } else if (err == REDIS_ERR_EOF) {
    why = "the server closed the connection";
  }
  return fail(where_ + ": " + why);
}

Expected<RedisClient> RedisClient::connect(const RedisConnInfo& info) {
  const timeval tv{info.timeout_s, 0};
  redisContext* c = redisConnectWithTimeout(info.host.c_str(), info.port, tv);
  const bool v6 = info.host.find(':') != std::string::npos;
  std::string where =
      "Redis " + (v6 ? "[" + info.host + "]" : info.host) + ":" + std::to_string(info.port);
  if (c == nullptr) return fail("cannot connect to " + where + ": out of memory");
  RedisClient client(c, where);
  if (c->err != 0) {
    const bool timeout = c->err == REDIS_ERR_IO && (errno == EINPROGRESS || errno == ETIMEDOUT);
    return fail("cannot connect to " + where + ": " +
                (timeout ? "no answer within " + std::to_string(info.timeout_s) + " s"
                         : std::string(c->errstr)));
  }
  if (redisSetTimeout(c, tv) != REDIS_OK) return client.connection_failure();
  if (!info.password.empty()) {
    auto ok = client.command({"AUTH", info.password});
    // Redis's answer ("WRONGPASS invalid username-password pair...") never repeats it.
    if (!ok) return fail(ok.error() + " (to AUTH: is the password right?)");
  }
  if (info.db != 0) {
    const std::string db = std::to_string(info.db);
    auto ok = client.command({"SELECT", db});
    if (!ok) return std::move(ok).failure();
  }
  return client;
}

Expected<RedisValue> RedisClient::command(const std::vector<std::string_view>& args) {
  if (broken_) return fail(where_ + ": the connection failed before");
  Argv argv(args);
  Reply reply(static_cast<redisReply*>(redisCommandArgv(ctx_.get(), static_cast<int>(args.size()),
                                                        argv.ptrs.data(), argv.lens.data())));
  if (!reply) return connection_failure();
  RedisValue v = convert(*reply);
  if (v.type == RedisValue::Type::kError) return fail(where_ + " answered: " + v.text);
  return v;
}

Expected<std::vector<RedisValue>> RedisClient::pipeline(
    const std::vector<std::vector<std::string_view>>& cmds) {
  if (broken_) return fail(where_ + ": the connection failed before");
  for (const auto& args : cmds) {
    Argv argv(args);
    if (redisAppendCommandArgv(ctx_.get(), static_cast<int>(args.size()), argv.ptrs.data(),
                               argv.lens.data()) != REDIS_OK) {
      return connection_failure();
    }
  }
  std::vector<RedisValue> out;
  out.reserve(cmds.size());
  for (std::size_t i = 0; i < cmds.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx_.get(), &raw) != REDIS_OK || raw == nullptr) {
      return connection_failure();
    }
    Reply reply(static_cast<redisReply*>(raw));
    out.push_back(convert(*reply));
  }
  return out;
}

Expected<std::size_t> scan_step_bound(RedisClient& c, std::size_t count) {
  auto r = c.command({"DBSIZE"});
  if (!r) return std::move(r).failure();
  if (r->type != RedisValue::Type::kInteger || r->integer < 0) {
    return fail("DBSIZE answered something else than a number of keys");
  }
  constexpr std::size_t kMargin = 1000;
  constexpr std::size_t kMax = std::numeric_limits<std::size_t>::max();
  const auto steps = static_cast<std::size_t>(r->integer) / count + 1;
  return steps > (kMax - kMargin) / 16 ? kMax : 16 * steps + kMargin;
}

}  // namespace ferry::userdb_redis
