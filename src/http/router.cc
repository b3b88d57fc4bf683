#include "ferry/http/router.h"

#include <algorithm>
#include <cstdio>

#include "assets.h"
#include "json.h"

namespace ferry::http {

namespace {

// The host part of a Host header ("h:port", "[v6]:port", "h"), or empty when it is not a
// plausible host name or address (it is copied into URLs the page shows).
std::string host_part(std::string_view host) {
  std::string_view h = host;
  if (!h.empty() && h.front() == '[') {
    auto end = h.find(']');
    if (end == std::string_view::npos) return {};
    h = h.substr(1, end - 1);
  } else if (auto colon = h.find(':'); colon != std::string_view::npos) {
    h = h.substr(0, colon);
  }
  if (h.empty() || h.size() > 253) return {};
  for (char c : h) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == ':' || c == '_';
    if (!ok) return {};
  }
  return std::string(h);
}

std::string url_host(const Address& a) {
  std::string ip = a.ip_string();
  return a.is_v6() ? "[" + ip + "]" : ip;
}

Response text(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// The test page's credentials are for a trial: an hour at most, whatever web-credential-ttl.
constexpr std::int64_t kTestCredentialTtl = 3600;

}  // namespace

std::string_view Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return {};
}

bool Request::has_header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return true;
  }
  return false;
}

bool from_admin_network(const Request& r) {
  if (!r.source || !r.source->is_loopback()) return false;
  for (std::string_view proxied : {"X-Forwarded-For", "Forwarded", "X-Real-IP"}) {
    if (r.has_header(proxied)) return false;
  }
  // DNS rebinding: a hostile site can make its own name resolve to 127.0.0.1, so that a browser
  // on this host sends it loopback requests and lets its page read the answers (same origin).
  // The browser's Host header still names that site: only an address literal or "localhost",
  // which no outsider's DNS can point here, is this host's own page. (No Host: not a browser.)
  if (r.host.empty()) return true;
  const std::string host = host_part(r.host);
  return iequals(host, "localhost") || Address::parse_ip(host).has_value();
}

const std::vector<std::pair<std::string, std::string>>& security_headers() {
  // The page's own files only: no inline script, no third-party origin, not framed.
  static const std::vector<std::pair<std::string, std::string>> kHeaders = {
      {"Content-Security-Policy",
       "default-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "no-referrer"},
  };
  return kHeaders;
}

Router::Router(const HttpSettings& settings, PageInfo page, Providers providers)
    : settings_(settings), page_(std::move(page)), providers_(std::move(providers)) {
  if ((settings_.credential_endpoint() || settings_.test_credentials) &&
      settings_.credential_rate > 0) {
    limiter_ =
        std::make_unique<PrefixLimiter>(settings_.credential_rate, 2 * settings_.credential_rate);
  }
  turn_uris_ = turn_uris(page_);
  stun_uris_ = stun_uris(page_);
}

void Router::count(Refusal why) const {
  if (providers_.counters != nullptr) providers_.counters->refuse(why);
}

bool Router::within_rate(const Request& r) const {
  if (limiter_ == nullptr || !r.source || !providers_.now) return true;
  return limiter_->allow(*r.source, providers_.now());
}

std::string Router::user_part() const {
  return providers_.random_user ? providers_.random_user() : random_user_part();
}

Response Router::credentials(const Request& req, bool ice_servers) const {
  Response r;
  r.content_type = "application/json";
  // The answer depends on Origin: a cache must not hand one origin's CORS answer to another.
  r.headers.emplace_back("Vary", "Origin");
  auto refuse = [&r, this](Refusal why, int status, std::string body) {
    count(why);
    r.status = status;
    r.content_type = "text/plain; charset=utf-8";
    r.body = std::move(body);
    return r;
  };
  // The budget first: every request costs its source one, whatever follows (key guesses too).
  if (!within_rate(req)) {
    r.headers.emplace_back("Retry-After", "1");
    return refuse(Refusal::kRateLimited, 429, "too many requests\n");
  }
  if (req.method != "GET" && req.method != "OPTIONS") {
    r.headers.emplace_back("Allow", "GET, OPTIONS");
    return refuse(Refusal::kMethod, 405, "only GET (and OPTIONS for a CORS preflight)\n");
  }
  // CORS (WHATWG Fetch §3.2): a page's request carries Origin. Only listed origins get an
  // Access-Control-Allow-Origin (the matching one echoed, never '*'), and a request from
  // another origin gets nothing, not even a credential it could not read: refusing it keeps
  // a hostile page from spending the caller's budget or the counters' meaning.
  if (req.has_header("Origin")) {
    const std::string_view origin = req.header("Origin");
    bool listed = false;
    for (const auto& o : settings_.credential_origins) listed = listed || o == origin;
    if (!listed) return refuse(Refusal::kOrigin, 403, "origin not allowed\n");
    r.headers.emplace_back("Access-Control-Allow-Origin", std::string(origin));
  }
  if (req.method == "OPTIONS") {
    // The preflight of a GET with an Authorization header: allowed, and cached ten minutes.
    r.status = 204;
    r.content_type = "text/plain; charset=utf-8";
    r.headers.emplace_back("Access-Control-Allow-Methods", "GET");
    r.headers.emplace_back("Access-Control-Allow-Headers", "Authorization");
    r.headers.emplace_back("Access-Control-Max-Age", "600");
    return r;
  }
  auto params = parse_query(req.query);
  if (!params) return refuse(Refusal::kBadRequest, 400, "malformed query string\n");
  std::optional<std::string_view> key, username, ttl, service;
  for (const auto& [name, value] : *params) {
    std::optional<std::string_view>* slot = name == "key"        ? &key
                                            : name == "username" ? &username
                                            : name == "ttl"      ? &ttl
                                            : name == "service"  ? &service
                                                                 : nullptr;
    if (slot == nullptr) continue;  // other parameters (a cache buster, say) are ignored
    if (slot->has_value()) {
      return refuse(Refusal::kBadRequest, 400, "parameter '" + name + "' given twice\n");
    }
    *slot = value;
  }
  if (!key_matches(settings_.credential_keys,
                   presented_key(req.header("Authorization"), key.value_or("")))) {
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"turn-credentials\"");
    return refuse(Refusal::kBadKey, 401,
                  "a valid key is needed: Authorization: Bearer KEY, or key=KEY\n");
  }
  if (service && *service != "turn") {
    return refuse(Refusal::kBadRequest, 400, "service must be 'turn'\n");
  }
  std::int64_t lifetime = settings_.credential_ttl;
  if (ttl) {
    // A caller may ask for less than the configured lifetime, never more.
    std::int64_t asked = 0;
    bool ok = !ttl->empty() && ttl->size() <= 9;
    for (char c : *ttl) {
      ok = ok && c >= '0' && c <= '9';
      if (ok) asked = asked * 10 + (c - '0');
    }
    if (!ok || asked == 0) {
      return refuse(Refusal::kBadRequest, 400, "ttl must be a number of seconds\n");
    }
    lifetime = std::min(lifetime, asked);
  }
  std::string user;
  if (username) {
    if (auto problem = user_part_problem(*username, settings_.rest_separator)) {
      return refuse(Refusal::kBadRequest, 400, *problem + "\n");
    }
    user = std::string(*username);
  } else {
    user = user_part();
  }
  const std::int64_t now = providers_.unix_now ? providers_.unix_now() : 0;
  const Credential c = mint(settings_.mint_secret, user, settings_.rest_separator, now, lifetime);
  r.body = ice_servers ? ice_servers_json(c, stun_uris_, turn_uris_) : rest_json(c, turn_uris_);
  if (providers_.counters != nullptr) {
    providers_.counters->issued_api.fetch_add(1, std::memory_order_relaxed);
  }
  return r;
}

std::vector<std::string> Router::ice_urls(std::string_view host_header) const {
  // The browser reached this page through `host`, so clients on its side of the network most
  // likely reach the STUN/TURN ports the same way. The exception: a page opened through
  // loopback (an SSH tunnel, say) while STUN/TURN do not listen there; then the first address
  // clients are told about.
  std::string host = host_part(host_header);
  auto parsed = Address::parse_ip(host);
  bool usable = !host.empty();
  if (usable && parsed && parsed->is_loopback()) {
    usable = false;
    for (const auto& a : page_.addresses) {
      if (a.ip_string() == parsed->ip_string()) usable = true;
    }
  }
  std::string h;
  if (usable) {
    h = parsed && parsed->is_v6() ? "[" + parsed->ip_string() + "]" : host;
  } else if (!page_.addresses.empty()) {
    h = url_host(page_.addresses.front());
  } else {
    return {};
  }
  const std::string hp = h + ":" + std::to_string(page_.port);
  std::vector<std::string> urls{"stun:" + hp};
  if (page_.udp) urls.push_back("turn:" + hp + "?transport=udp");
  if (page_.tcp) urls.push_back("turn:" + hp + "?transport=tcp");
  // RFC 7065 §3.1: turns: defaults to TCP; the browser checks the certificate against `h`.
  if (page_.tls_port != 0) {
    urls.push_back("turns:" + h + ":" + std::to_string(page_.tls_port) + "?transport=tcp");
  }
  return urls;
}

Response Router::page_config(const Request& req) const {
  std::string test;
  if (settings_.test_credentials && req.method == "GET") {
    if (!from_admin_network(req)) {
      count(Refusal::kNotAdmin);
    } else if (!within_rate(req)) {
      count(Refusal::kRateLimited);
    } else {
      const std::int64_t now = providers_.unix_now ? providers_.unix_now() : 0;
      const Credential c = mint(settings_.mint_secret, user_part(), settings_.rest_separator, now,
                                std::min(settings_.credential_ttl, kTestCredentialTtl));
      test = ",\"username\":" + json_string(c.username) +
             ",\"password\":" + json_string(c.password) + ",\"ttl\":" + std::to_string(c.ttl);
      if (providers_.counters != nullptr) {
        providers_.counters->issued_test_page.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }
  Response r;
  r.content_type = "application/json";
  r.body = "{\"software\":" + json_string(page_.software) +
           ",\"realm\":" + json_string(page_.realm) +
           ",\"urls\":" + json_string_array(ice_urls(req.host)) +
           ",\"metrics\":" + (settings_.metrics ? "true" : "false") +
           ",\"testCredentials\":" + (test.empty() ? "false" : "true") + test + "}\n";
  return r;
}

Response Router::handle(const Request& req) const {
  // Before the method check below: these answer OPTIONS (CORS preflight) and refuse the rest
  // in their own words. Off (404 like any unknown path) unless a key is configured.
  if (settings_.credential_endpoint() && (req.path == "/turn" || req.path == "/ice-servers")) {
    return credentials(req, req.path == "/ice-servers");
  }
  if (req.method != "GET" && req.method != "HEAD") {
    Response r = text(405, "only GET and HEAD\n");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  const std::string_view path = req.path;
  if (path == "/livez") return text(200, "ok\n");
  if (path == "/readyz") {
    bool ready = !providers_.ready || providers_.ready();
    return ready ? text(200, "ready\n") : text(503, "draining\n");
  }
  if (path == "/version") return text(200, page_.software + "\n");
  if (path == "/metrics") {
    if (!settings_.metrics || !providers_.metrics) {
      return text(404, settings_.metrics_off_text);
    }
    Response r = text(200, providers_.metrics());
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return r;
  }
  if (path == "/config.json") return page_config(req);
  for (const Asset& a : assets()) {
    if (a.path == path || (a.path == "/" && path == "/index.html")) {
      Response r;
      r.content_type = std::string(a.content_type);
      r.body = std::string(a.body);
      r.cacheable = true;
      return r;
    }
  }
  return text(404, "not found\n");
}

}  // namespace ferry::http
