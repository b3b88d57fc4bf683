#include "ferry/userdb_pg/conninfo.h"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <memory>

namespace ferry::userdb_pg {

namespace {

struct FreeOptions {
  void operator()(PQconninfoOption* o) const { PQconninfoFree(o); }
};
using Options = std::unique_ptr<PQconninfoOption, FreeOptions>;

bool is_option_name(std::string_view word) {
  Options defaults(PQconndefaults());
  if (!defaults) return false;
  for (const PQconninfoOption* o = defaults.get(); o->keyword != nullptr; ++o) {
    if (word == o->keyword) return true;
  }
  return false;
}

}  // namespace

std::string scrub(std::string message, std::string_view password, bool hide_quoted) {
  std::string out;
  std::size_t at = 0;
  while (hide_quoted) {
    const auto open = message.find('"', at);
    const auto close = open == std::string::npos ? open : message.find('"', open + 1);
    if (close == std::string::npos) {
      out += message.substr(at);
      break;
    }
    out += message.substr(at, open - at);
    const std::string_view word(message.data() + open + 1, close - open - 1);
    out += is_option_name(word) ? "\"" + std::string(word) + "\"" : std::string("\"...\"");
    at = close + 1;
  }
  if (!hide_quoted) out = std::move(message);
  // libpq never quotes a password back; this is a second net. A password of under 4 bytes is
  // not searched for: it would cut words ("port") apart, and guessing it takes no log anyway.
  if (password.size() >= 4) {
    for (auto p = out.find(password); p != std::string::npos; p = out.find(password, p + 3)) {
      out.replace(p, password.size(), "***");
    }
  }
  // One log line: libpq's hints come on lines of their own.
  for (auto nl = out.find('\n'); nl != std::string::npos; nl = out.find('\n', nl)) {
    auto end = out.find_first_not_of("\n\t ", nl);
    out.replace(nl, (end == std::string::npos ? out.size() : end) - nl,
                end == std::string::npos ? "" : " ");
  }
  return out;
}

Expected<PgConnInfo> parse_pg_conninfo(std::string_view text) {
  PgConnInfo info;
  info.conninfo = std::string(text);
  char* err = nullptr;
  Options opts(PQconninfoParse(info.conninfo.c_str(), &err));
  if (!opts) {
    std::string why = err != nullptr ? err : "out of memory";
    PQfreemem(err);
    return fail("psql-userdb: not a libpq connection string or URI: " +
                scrub(why, {}, /*hide_quoted=*/true));
  }
  std::string host, port, dbname, user;
  for (const PQconninfoOption* o = opts.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr || *o->val == '\0') continue;
    const std::string_view k = o->keyword;
    const std::string v = o->val;
    if (k == "host" || (k == "hostaddr" && host.empty())) host = v;
    if (k == "port") port = v;
    if (k == "dbname") dbname = v;
    if (k == "user") user = v;
    if (k == "password") info.password = v;
    if (k == "connect_timeout") {
      int n = 0;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec != std::errc{} || end != v.data() + v.size() || n < 0) {
        return fail("psql-userdb: connect_timeout must be a number of seconds");
      }
      // libpq's minimum is 2 s (a 1 would be read as 2).
      info.timeout_s =
          n == 0 ? PgConnInfo::kDefaultTimeout : std::clamp(n, 2, PgConnInfo::kMaxTimeout);
    }
  }
  info.described = "PostgreSQL database " + (dbname.empty() ? std::string("(default)") : dbname) +
                   " on " + (host.empty() ? std::string("(local socket)") : host) +
                   (port.empty() ? "" : ":" + port) + (user.empty() ? "" : " as user " + user);
  return info;
}

}  // namespace ferry::userdb_pg
