#include "ferry/http/router.h"

#include <cstdio>

#include "assets.h"

namespace ferry::http {

namespace {

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

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

}  // namespace

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
    : settings_(settings), page_(std::move(page)), providers_(std::move(providers)) {}

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

Response Router::page_config(std::string_view host) const {
  std::string urls;
  for (const auto& u : ice_urls(host)) urls += (urls.empty() ? "" : ",") + json_string(u);
  Response r;
  r.content_type = "application/json";
  r.body = "{\"software\":" + json_string(page_.software) +
           ",\"realm\":" + json_string(page_.realm) + ",\"urls\":[" + urls +
           "],\"metrics\":" + (settings_.metrics ? "true" : "false") +
           ",\"testCredentials\":false}\n";
  return r;
}

Response Router::handle(const Request& req) const {
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
  if (path == "/config.json") return page_config(req.host);
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
