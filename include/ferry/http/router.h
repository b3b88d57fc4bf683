// The HTTP listener's routes, without sockets: a request's method, path and Host in, a
// response out (the evhttp glue in server.cc only copies bytes).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ferry/common/address.h"
#include "ferry/common/prefix_limiter.h"
#include "ferry/common/time.h"
#include "ferry/http/credentials.h"
#include "ferry/http/settings.h"

namespace ferry::http {

struct Request {
  std::string_view method;        // "GET", "HEAD", "OPTIONS", "POST", ... ("OTHER")
  std::string_view path;          // without the query
  std::string_view host;          // the Host header as sent, may be empty
  std::string_view query;         // after '?', still percent-encoded; never logged
  std::optional<Address> source;  // the connection's peer
  std::vector<std::pair<std::string_view, std::string_view>> headers;  // as received

  // The first header of that name (case-insensitive), empty when absent.
  std::string_view header(std::string_view name) const;
  bool has_header(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // Static assets may be cached briefly; everything else is live (no-store).
  bool cacheable = false;
  std::vector<std::pair<std::string, std::string>> headers;  // besides the security headers
};

// Live values the router asks for on each request.
struct Providers {
  std::function<std::string()> metrics;  // Prometheus text
  std::function<bool()> ready;           // false while draining: /readyz answers 503
  // For the credential endpoint: the steady clock (rate limit), the wall clock (expiries), the
  // user part when the caller names none (null: random_user_part()), and where issued and
  // refused credentials are counted (null: not counted).
  std::function<TimePoint()> now;
  std::function<std::int64_t()> unix_now;
  std::function<std::string()> random_user;
  CredentialCounters* counters = nullptr;
};

class Router {
 public:
  Router(const HttpSettings& settings, PageInfo page, Providers providers);
  Response handle(const Request& r) const;

  // The test page's ICE server URLs for a page loaded through `host` (exposed for tests).
  std::vector<std::string> ice_urls(std::string_view host) const;

 private:
  Response page_config(const Request& r) const;
  // GET /turn (REST JSON) and /ice-servers (RTCConfiguration): see credentials.h.
  Response credentials(const Request& r, bool ice_servers) const;
  // Takes one from the source's budget (true when there was one, or no limit).
  bool within_rate(const Request& r) const;
  std::string user_part() const;
  void count(Refusal why) const;

  const HttpSettings& settings_;
  PageInfo page_;
  Providers providers_;
  std::unique_ptr<PrefixLimiter> limiter_;  // null when web-credential-rate is 0
  std::vector<std::string> turn_uris_;      // fixed at start: the listeners do not move
  std::vector<std::string> stun_uris_;
};

// web-test-credentials' admin network: a caller on this host (loopback) whose request carries
// no proxy header. A reverse proxy on the same host makes every visitor loopback; the header it
// adds (X-Forwarded-For, Forwarded, X-Real-IP) gives it away, so such requests are refused. The
// Host header must name an address literal or localhost (DNS rebinding: see router.cc).
bool from_admin_network(const Request& r);

// The security headers every response carries (the page's CSP among them).
const std::vector<std::pair<std::string, std::string>>& security_headers();

}  // namespace ferry::http
