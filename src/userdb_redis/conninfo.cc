#include "ferry/userdb_redis/conninfo.h"

#include <algorithm>
#include <charconv>

namespace ferry::userdb_redis {

namespace {

bool one_of(std::string_view key, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), key) != names.end();
}

template <class T>
Expected<T> number(std::string_view key, std::string_view value, T min, T max) {
  T v{};
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc{} || end != value.data() + value.size() || v < min || v > max) {
    return fail("redis-userdb: " + std::string(key) + " must be a number from " +
                std::to_string(min) + " to " + std::to_string(max));
  }
  return v;
}

}  // namespace

Expected<RedisConnInfo> parse_redis_conninfo(std::string_view text) {
  RedisConnInfo info;
  std::size_t word = 0;
  while (!text.empty()) {
    const auto start = text.find_first_not_of(' ');
    if (start == std::string_view::npos) break;
    text.remove_prefix(start);
    const auto space = text.find(' ');
    const std::string_view token = text.substr(0, space);
    text.remove_prefix(space == std::string_view::npos ? text.size() : space);
    ++word;
    const auto eq = token.find('=');
    if (eq == std::string_view::npos) {
      // The word itself is not repeated: it may be a password that lost its "password=".
      return fail("redis-userdb: word " + std::to_string(word) +
                  " has no '=' (the format is \"ip=... dbname=... password=... port=... "
                  "connect_timeout=...\")");
    }
    const std::string_view key = token.substr(0, eq);
    const std::string_view value = token.substr(eq + 1);
    if (one_of(key, {"host", "ip", "addr", "ipaddr", "hostaddr"})) {
      if (!value.empty()) info.host = value;
    } else if (one_of(key, {"dbname", "db", "database"})) {
      auto n = number<int>(key, value, 0, 1'000'000);
      if (!n) return std::move(n).failure();
      info.db = *n;
    } else if (one_of(key, {"password", "pwd", "passwd", "secret"})) {
      info.password = value;
    } else if (one_of(key, {"port", "p"})) {
      auto n = number<int>(key, value, 1, 65535);
      if (!n) return std::move(n).failure();
      info.port = static_cast<std::uint16_t>(*n);
    } else if (one_of(key, {"connect_timeout", "timeout"})) {
      auto n = number<int>(key, value, 0, 1'000'000);
      if (!n) return std::move(n).failure();
      info.timeout_s =
          *n == 0 ? RedisConnInfo::kDefaultTimeout : std::min(*n, RedisConnInfo::kMaxTimeout);
    } else if (one_of(key, {"user", "uname", "name", "username"})) {
      // coturn ignores the user (it sends AUTH with the password alone): so does Ferry, so a
      // connection string that works with coturn means the same here.
    } else {
      return fail("redis-userdb: unknown key '" + std::string(key) +
                  "' (known: ip, dbname, password, port, connect_timeout, and coturn's other "
                  "spellings of them)");
    }
  }
  return info;
}

std::string describe(const RedisConnInfo& info) {
  const bool v6 = info.host.find(':') != std::string::npos;
  std::string s = "Redis database " + (v6 ? "[" + info.host + "]" : info.host) + ":" +
                  std::to_string(info.port) + "/" + std::to_string(info.db);
  if (!info.password.empty()) s += " (password set)";
  return s;
}

}  // namespace ferry::userdb_redis
