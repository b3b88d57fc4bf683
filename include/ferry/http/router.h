// The HTTP listener's routes, without sockets: a request's method, path and Host in, a
// response out (the evhttp glue in server.cc only copies bytes).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ferry/http/settings.h"

namespace ferry::http {

struct Request {
  std::string_view method;  // "GET", "HEAD", ...
  std::string_view path;    // without the query
  std::string_view host;    // the Host header as sent, may be empty
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
};

class Router {
 public:
  Router(const HttpSettings& settings, PageInfo page, Providers providers);
  Response handle(const Request& r) const;

  // The test page's ICE server URLs for a page loaded through `host` (exposed for tests).
  std::vector<std::string> ice_urls(std::string_view host) const;

 private:
  Response page_config(std::string_view host) const;

  const HttpSettings& settings_;
  PageInfo page_;
  Providers providers_;
};

// The security headers every response carries (the page's CSP among them).
const std::vector<std::pair<std::string, std::string>>& security_headers();

}  // namespace ferry::http
