// evhttp glue: requests in, Router, bytes out. One thread, one event loop, bounded requests.
#include "ferry/http/server.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <thread>

namespace ferry::http {

namespace {

std::string ssl_error() {
  char buf[256];
  unsigned long e = ERR_get_error();
  if (e == 0) return "unknown OpenSSL error";
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

}  // namespace

struct HttpServer::Impl {
  const HttpSettings& settings;
  const Router& router;
  Logger& log;
  event_base* base = nullptr;
  evhttp* http = nullptr;
  SSL_CTX* tls = nullptr;
  int stop_fd = -1;
  event* stop_ev = nullptr;
  std::vector<Address> endpoints;
  std::thread thread;

  Impl(const HttpSettings& s, const Router& r, Logger& l) : settings(s), router(r), log(l) {}
  ~Impl() {
    if (http != nullptr) evhttp_free(http);
    if (stop_ev != nullptr) event_free(stop_ev);
    if (stop_fd >= 0) close(stop_fd);
    if (base != nullptr) event_base_free(base);
    if (tls != nullptr) SSL_CTX_free(tls);
  }

  bool load_tls(std::string* error) {
    tls = SSL_CTX_new(TLS_server_method());
    if (tls == nullptr) {
      *error = "web-cert: " + ssl_error();
      return false;
    }
    SSL_CTX_set_min_proto_version(tls, TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(tls, settings.cert_file.c_str()) != 1) {
      *error = "web-cert " + settings.cert_file + ": " + ssl_error();
      return false;
    }
    if (SSL_CTX_use_PrivateKey_file(tls, settings.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(tls) != 1) {
      *error = "web-pkey " + settings.key_file + ": " + ssl_error();
      return false;
    }
    evhttp_set_bevcb(http, &Impl::make_tls_bufferevent, this);
    return true;
  }

  static bufferevent* make_tls_bufferevent(event_base* base, void* arg) {
    auto* self = static_cast<Impl*>(arg);
    SSL* ssl = SSL_new(self->tls);
    if (ssl == nullptr) return nullptr;
    return bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                          BEV_OPT_CLOSE_ON_FREE);
  }

  static void on_stop(evutil_socket_t, short, void* arg) {
    event_base_loopbreak(static_cast<Impl*>(arg)->base);
  }

  static void on_request(evhttp_request* req, void* arg) { static_cast<Impl*>(arg)->serve(req); }

  void serve(evhttp_request* req) {
    Request r;
    // A bit set, not a closed enum we own: compare instead of switching.
    const auto command = evhttp_request_get_command(req);
    r.method = command == EVHTTP_REQ_GET ? "GET" : command == EVHTTP_REQ_HEAD ? "HEAD" : "OTHER";
    const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
    const char* path = uri != nullptr ? evhttp_uri_get_path(uri) : nullptr;
    r.path = path != nullptr && *path != '\0' ? path : "/";
    const char* host = evhttp_find_header(evhttp_request_get_input_headers(req), "Host");
    r.host = host != nullptr ? host : "";
    Response out = router.handle(r);

    evkeyvalq* headers = evhttp_request_get_output_headers(req);
    evhttp_add_header(headers, "Content-Type", out.content_type.c_str());
    evhttp_add_header(headers, "Cache-Control", out.cacheable ? "max-age=60" : "no-store");
    for (const auto& [k, v] : security_headers()) evhttp_add_header(headers, k.c_str(), v.c_str());
    for (const auto& [k, v] : out.headers) evhttp_add_header(headers, k.c_str(), v.c_str());
    evbuffer* body = evbuffer_new();
    if (body == nullptr) {
      evhttp_send_error(req, 500, nullptr);
      return;
    }
    // evhttp leaves HEAD bodies out itself.
    evbuffer_add(body, out.body.data(), out.body.size());
    evhttp_send_reply(req, out.status, nullptr, body);
    evbuffer_free(body);
  }

  bool bind_all(std::string* error) {
    for (Address ip : settings.ips) {
      ip.set_port(settings.port);
      evhttp_bound_socket* s =
          evhttp_bind_socket_with_handle(http, ip.ip_string().c_str(), settings.port);
      if (s == nullptr) {
        *error = "cannot listen for HTTP on " + ip.to_string() + ": " + std::strerror(errno);
        return false;
      }
      sockaddr_storage ss{};
      socklen_t len = sizeof ss;
      evutil_socket_t fd = evhttp_bound_socket_get_fd(s);
      if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
        endpoints.push_back(Address::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len));
      }
    }
    return true;
  }

  bool open(std::string* error) {
    base = event_base_new();
    http = base != nullptr ? evhttp_new(base) : nullptr;
    stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (http == nullptr || stop_fd < 0) {
      *error = "cannot create the HTTP event loop";
      return false;
    }
    stop_ev = event_new(base, stop_fd, EV_READ, &Impl::on_stop, this);
    event_add(stop_ev, nullptr);
    // Small, bounded requests: the listener serves a page, a scrape and health checks, so
    // anything large or slow is someone else's traffic.
    evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
                                         EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS);
    evhttp_set_max_headers_size(http, 8192);
    evhttp_set_max_body_size(http, 4096);
    evhttp_set_timeout(http, 10);
    evhttp_set_gencb(http, &Impl::on_request, this);
    if (!settings.cert_file.empty() && !load_tls(error)) return false;
    return bind_all(error);
  }
};

HttpServer::HttpServer(const HttpSettings& settings, const Router& router, Logger& log)
    : impl_(std::make_unique<Impl>(settings, router, log)) {}

HttpServer::~HttpServer() {
  stop();
}

bool HttpServer::start(std::string* error) {
  if (!impl_->open(error)) return false;
  impl_->thread = std::thread([impl = impl_.get()] { event_base_dispatch(impl->base); });
  return true;
}

void HttpServer::stop() {
  if (!impl_->thread.joinable()) return;
  std::uint64_t one = 1;
  (void)!write(impl_->stop_fd, &one, sizeof one);
  impl_->thread.join();
}

const std::vector<Address>& HttpServer::endpoints() const {
  return impl_->endpoints;
}

}  // namespace ferry::http
