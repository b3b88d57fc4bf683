// evhttp glue: requests in, Router, bytes out. One thread, one event loop, bounded requests.
#include "ferry/http/server.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include "ferry/event/event_loop.h"
#include "ferry/tls/tls_context.h"

#include <cerrno>
#include <cstring>

namespace ferry::http {

struct HttpServer::Impl {
  const HttpSettings& settings;
  const Router& router;
  Logger& log;
  std::unique_ptr<event::EventLoop> loop;
  evhttp* http = nullptr;
  std::unique_ptr<tls::TlsContext> tls;
  std::vector<Address> endpoints;

  Impl(const HttpSettings& s, const Router& r, Logger& l) : settings(s), router(r), log(l) {}
  ~Impl() {
    if (loop != nullptr) loop->stop();  // first: the thread uses what follows
    if (http != nullptr) evhttp_free(http);
    loop.reset();
  }

  // The same TLS setup as TURN over TLS (ferry_tls): TLS 1.2+, no renegotiation.
  Expected<void> load_tls() {
    auto loaded =
        tls::TlsContext::load({.cert_file = settings.cert_file, .key_file = settings.key_file});
    if (!loaded) return fail("HTTPS: " + loaded.error());
    tls = std::move(*loaded);
    evhttp_set_bevcb(http, &Impl::make_tls_bufferevent, this);
    return {};
  }

  static bufferevent* make_tls_bufferevent(event_base* base, void* arg) {
    auto* self = static_cast<Impl*>(arg);
    SSL* ssl = self->tls->new_session();
    if (ssl == nullptr) return nullptr;
    return bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                          BEV_OPT_CLOSE_ON_FREE);
  }

  static void on_request(evhttp_request* req, void* arg) { static_cast<Impl*>(arg)->serve(req); }

  static std::string_view method_name(evhttp_cmd_type command) {
    // A bit set, not a closed enum we own: compare instead of switching.
    if (command == EVHTTP_REQ_GET) return "GET";
    if (command == EVHTTP_REQ_HEAD) return "HEAD";
    if (command == EVHTTP_REQ_OPTIONS) return "OPTIONS";
    if (command == EVHTTP_REQ_POST) return "POST";
    if (command == EVHTTP_REQ_PUT) return "PUT";
    if (command == EVHTTP_REQ_DELETE) return "DELETE";
    return "OTHER";
  }

  void serve(evhttp_request* req) {
    Request r;
    r.method = method_name(evhttp_request_get_command(req));
    const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
    const char* path = uri != nullptr ? evhttp_uri_get_path(uri) : nullptr;
    r.path = path != nullptr && *path != '\0' ? path : "/";
    const char* query = uri != nullptr ? evhttp_uri_get_query(uri) : nullptr;
    r.query = query != nullptr ? query : "";
    evkeyvalq* in = evhttp_request_get_input_headers(req);
    const char* host = evhttp_find_header(in, "Host");
    r.host = host != nullptr ? host : "";
    // Bounded by evhttp_set_max_headers_size: at most a few hundred headers.
    for (evkeyval* h = in->tqh_first; h != nullptr; h = h->next.tqe_next) {
      r.headers.emplace_back(h->key, h->value);
    }
    if (evhttp_connection* conn = evhttp_request_get_connection(req); conn != nullptr) {
      if (const sockaddr* peer = evhttp_connection_get_addr(conn); peer != nullptr) {
        const socklen_t len =
            peer->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
        r.source = Address::from_sockaddr(peer, len);
      }
    }
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

  Expected<void> bind_all() {
    for (Address ip : settings.ips) {
      ip.set_port(settings.port);
      evhttp_bound_socket* s =
          evhttp_bind_socket_with_handle(http, ip.ip_string().c_str(), settings.port);
      if (s == nullptr) {
        return fail("cannot listen for HTTP on " + ip.to_string() + ": " + std::strerror(errno));
      }
      sockaddr_storage ss{};
      socklen_t len = sizeof ss;
      evutil_socket_t fd = evhttp_bound_socket_get_fd(s);
      if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
        endpoints.push_back(Address::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len));
      }
    }
    return {};
  }

  Expected<void> open() {
    auto made = event::EventLoop::create();
    if (!made) return std::move(made).failure();
    loop = std::move(*made);
    http = evhttp_new(loop->base());
    if (http == nullptr) return fail("cannot create the HTTP listener (evhttp_new)");
    // Small, bounded requests: the listener serves a page, a scrape and health checks, so
    // anything large or slow is someone else's traffic.
    evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
                                         EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS);
    evhttp_set_max_headers_size(http, 8192);
    evhttp_set_max_body_size(http, 4096);
    evhttp_set_timeout(http, 10);
    evhttp_set_gencb(http, &Impl::on_request, this);
    if (!settings.cert_file.empty()) {
      if (auto tls_ok = load_tls(); !tls_ok) return tls_ok;
    }
    return bind_all();
  }
};

HttpServer::HttpServer(const HttpSettings& settings, const Router& router, Logger& log)
    : impl_(std::make_unique<Impl>(settings, router, log)) {}

HttpServer::~HttpServer() {
  stop();
}

Expected<void> HttpServer::start() {
  if (auto opened = impl_->open(); !opened) return opened;
  impl_->loop->start();
  return {};
}

void HttpServer::stop() {
  if (impl_->loop != nullptr) impl_->loop->stop();
}

const std::vector<Address>& HttpServer::endpoints() const {
  return impl_->endpoints;
}

}  // namespace ferry::http
