#include "dtls_sessions.h"

#include <openssl/err.h>

#include <algorithm>
#include <cstring>

#include "worker.h"

namespace ferry::net {

namespace {

// The largest datagram a session writes: handshake flights are cut to fit (certificates are
// longer), application records are one message each. 1,400 bytes of UDP payload cross the
// usual tunnels and the IPv6 minimum MTU's neighbourhood without fragmentation.
constexpr long kLinkMtu = 1400 + 28;

int bio_write(BIO* b, const char* data, int len) {
  auto* link = static_cast<DtlsSessions::Link*>(BIO_get_data(b));
  BIO_clear_retry_flags(b);
  if (len <= 0) return 0;
  link->owner->queue(link->peer, Bytes(reinterpret_cast<const std::uint8_t*>(data),
                                       static_cast<std::size_t>(len)));
  return len;
}

int bio_read(BIO* b, char* out, int len) {
  auto* link = static_cast<DtlsSessions::Link*>(BIO_get_data(b));
  BIO_clear_retry_flags(b);
  if (link->in.empty()) {
    BIO_set_retry_read(b);
    return -1;
  }
  // A datagram is read whole or not at all (the rest of a too-long one is dropped, as the
  // kernel would).
  const std::size_t n = std::min(link->in.size(), static_cast<std::size_t>(len));
  std::memcpy(out, link->in.data(), n);
  link->in = {};
  return static_cast<int>(n);
}

long bio_ctrl(BIO* /*b*/, int cmd, long num, void* /*ptr*/) {
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_DGRAM_QUERY_MTU:
    case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
      return kLinkMtu - 28;
    case BIO_CTRL_DGRAM_SET_MTU:
      return num;
    default:
      // Peers, timeouts, peeking, pending bytes: nothing for OpenSSL to ask of this BIO (the
      // socket is the endpoint's, and nothing is buffered here).
      return 0;
  }
}

int bio_create(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

}  // namespace

DtlsSessions::Session::~Session() {
  if (ssl != nullptr) SSL_free(ssl);  // frees its BIO too
}

DtlsSessions::DtlsSessions(Worker& worker, const CookieJar& cookies, int fd, const Address& local,
                           std::uint8_t listener, SendBatch& batch, const Limits& limits)
    : worker_(worker),
      cookies_(cookies),
      fd_(fd),
      local_(local),
      listener_index_(listener),
      batch_(batch),
      limits_(limits),
      plain_(16384) {
  listen_link_.owner = this;
}

std::unique_ptr<DtlsSessions> DtlsSessions::create(Worker& worker, const tls::TlsHolder& tls,
                                                   const CookieJar& cookies, int fd,
                                                   const Address& local, std::uint8_t listener,
                                                   SendBatch& batch, const Limits& limits) {
  std::unique_ptr<DtlsSessions> d(
      new DtlsSessions(worker, cookies, fd, local, listener, batch, limits));
  d->tls_ = &tls;
  d->method_ = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ferry-dtls");
  if (d->method_ == nullptr || BIO_meth_set_write(d->method_, &bio_write) != 1 ||
      BIO_meth_set_read(d->method_, &bio_read) != 1 ||
      BIO_meth_set_ctrl(d->method_, &bio_ctrl) != 1 ||
      BIO_meth_set_create(d->method_, &bio_create) != 1) {
    return nullptr;
  }
  d->listener_ = d->new_listener();
  if (d->listener_ == nullptr) return nullptr;
  return d;
}

DtlsSessions::~DtlsSessions() {
  sessions_.clear();
  if (listener_ != nullptr) SSL_free(listener_);
  if (method_ != nullptr) BIO_meth_free(method_);
}

SSL* DtlsSessions::new_listener() {
  listener_generation_ = tls_->generation();
  SSL* ssl = tls_->current()->new_dtls_session();
  if (ssl == nullptr) return nullptr;
  BIO* bio = BIO_new(method_);
  if (bio == nullptr) {
    SSL_free(ssl);
    return nullptr;
  }
  BIO_set_data(bio, &listen_link_);
  SSL_set_bio(ssl, bio, bio);  // one reference for both directions
  // Our own MTU: the BIO cannot discover the path's. It survives DTLSv1_listen's SSL_clear.
  SSL_set_options(ssl, SSL_OP_NO_QUERY_MTU);
  DTLS_set_link_mtu(ssl, kLinkMtu);
  SSL_set_app_data(ssl, static_cast<tls::DtlsCookies*>(this));
  return ssl;
}

void DtlsSessions::queue(const Address& to, Bytes datagram) {
  batch_.add(fd_, to, datagram);
}

namespace {
const Address& source_of(SSL* ssl) {
  return static_cast<DtlsSessions::Link*>(BIO_get_data(SSL_get_rbio(ssl)))->peer;
}
}  // namespace

std::size_t DtlsSessions::make(SSL* ssl, std::uint8_t* out) {
  cookies_.make(source_of(ssl), now_, out);
  return CookieJar::kSize;
}

bool DtlsSessions::check(SSL* ssl, const std::uint8_t* cookie, std::size_t size) {
  return cookies_.check(source_of(ssl), now_, cookie, size);
}

bool DtlsSessions::is_client_hello_epoch0(Bytes d) {
  // RFC 6347 §4.1: type (1) version (2) epoch (2) ...; §4.2.2: handshake type 1 is ClientHello,
  // right after the 13-byte record header.
  return d.size() > 13 && d[0] == 22 && d[3] == 0 && d[4] == 0 && d[13] == 1;
}

bool DtlsSessions::harmful(const Session& s, Bytes d) {
  if (is_client_hello_epoch0(d)) {
    // RFC 6347 §4.2.2: the random follows the 13-byte record header, the 12-byte handshake
    // header and the 2-byte version.
    return d.size() >= 59 &&
           std::equal(s.client_random.begin(), s.client_random.end(), d.begin() + 27);
  }
  // RFC 6347 §4.1: records are type (1) version (2) epoch (2) sequence (6) length (2) body.
  for (std::size_t at = 0; at + 13 <= d.size();) {
    const std::size_t epoch = (std::size_t{d[at + 3]} << 8) | d[at + 4];
    const std::size_t length = (std::size_t{d[at + 11]} << 8) | d[at + 12];
    if (epoch != 0 && length < s.min_record) return true;
    at += 13 + length;
  }
  return false;
}

void DtlsSessions::on_datagram(const Address& from, Bytes datagram, TimePoint now) {
  ERR_clear_error();  // SSL_get_error reads the queue: it must hold only this call's errors
  now_ = now;
  auto it = sessions_.find(from);
  Session* s = it != sessions_.end() ? it->second.get() : nullptr;
  if (s != nullptr && s->established && harmful(*s, datagram)) {
    return;  // dropped unread: it could only end the session
  }
  if (s == nullptr || (s->established && is_client_hello_epoch0(datagram))) {
    // A new client, or one restarted from the same address and port (RFC 6347 §4.2.8): a new
    // session once its cookie proves the address; an old one ends only then.
    s = listen(from, datagram, now);
  } else {
    s->link.in = datagram;
  }
  if (s != nullptr) run(*s, now);
  ERR_clear_error();  // OpenSSL's per-thread error queue is shared with the TLS streams
}

DtlsSessions::Session* DtlsSessions::listen(const Address& from, Bytes datagram, TimePoint now) {
  if (listener_generation_ != tls_->generation()) {
    // The certificate was reloaded: the next session is made with the new one.
    if (SSL* fresh = new_listener(); fresh != nullptr) {
      SSL_free(listener_);
      listener_ = fresh;
    }
  }
  listen_link_.peer = from;
  listen_link_.in = datagram;
  BIO_ADDR* ignored = BIO_ADDR_new();
  const int verified = ignored != nullptr ? DTLSv1_listen(listener_, ignored) : -1;
  if (ignored != nullptr) BIO_ADDR_free(ignored);
  listen_link_.in = {};
  if (verified <= 0) return nullptr;  // a HelloVerifyRequest went out, or it was not a hello
  // The source answered its cookie: it receives at this address. A restart replaces the old
  // session only if the handshake rate allows a new one (else both would be lost); a new
  // client takes a connection slot first, so one refused for the slot spends none of its
  // prefix's handshake budget.
  SSL* ssl = listener_;
  listener_ = new_listener();
  if (listener_ == nullptr) {
    // Cannot listen any more; keep the verified session's SSL as the listener instead.
    listener_ = ssl;
    return nullptr;
  }
  const bool restart = sessions_.count(from) != 0;
  if (restart && !worker_.dtls_rate_allows(from, now)) {
    SSL_free(ssl);
    return nullptr;
  }
  if (restart) end(from, End::kClosed);
  if (!worker_.acquire_dtls_slot(from)) {
    SSL_free(ssl);
    return nullptr;
  }
  if (!restart && !worker_.dtls_rate_allows(from, now)) {
    worker_.release_dtls_slot(from);
    SSL_free(ssl);
    return nullptr;
  }
  worker_.on_dtls_started();
  auto session = std::make_unique<Session>();
  session->ssl = ssl;
  session->link.owner = this;
  session->link.peer = from;
  BIO_set_data(SSL_get_rbio(ssl), &session->link);  // app data stays: OpenSSL checks the
                                                    // cookie again as the hello goes on
  session->tuple = FiveTuple{from, local_, Transport::kDtls, listener_index_};
  session->started = now;
  session->last_message = now;
  Session* raw = session.get();
  sessions_[from] = std::move(session);
  return raw;
}

bool DtlsSessions::run(Session& s, TimePoint now) {
  if (!s.established) {
    const int r = SSL_do_handshake(s.ssl);
    if (r != 1) {
      const int err = SSL_get_error(s.ssl, r);
      s.link.in = {};
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return true;
      end(s.link.peer, End::kClosed);  // a fatal alert went out (or the client's came in)
      return false;
    }
    s.established = true;
    s.last_message = now;
    SSL_get_client_random(s.ssl, s.client_random.data(), s.client_random.size());
    // AEAD only (tls_context.cc): ChaCha20-Poly1305 adds a 16-byte tag, AES-GCM an 8-byte
    // explicit nonce too.
    const SSL_CIPHER* cipher = SSL_get_current_cipher(s.ssl);
    s.min_record =
        cipher != nullptr && SSL_CIPHER_get_cipher_nid(cipher) == NID_chacha20_poly1305 ? 16 : 24;
  }
  for (;;) {
    const int n = SSL_read(s.ssl, plain_.data(), static_cast<int>(plain_.size()));
    if (n > 0) {
      s.last_message = now;
      // One record, one message (RFC 8656 §12.5: over DTLS as over UDP). The core may queue
      // parts of it for peers without a copy: the worker flushes before plain_ is reused.
      const FiveTuple tuple = s.tuple;
      worker_.on_dtls_message(tuple, Bytes(plain_.data(), static_cast<std::size_t>(n)), now);
      if (sessions_.find(tuple.client) == sessions_.end()) return false;
      continue;
    }
    const int err = SSL_get_error(s.ssl, n);
    s.link.in = {};
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return true;
    // close_notify (SSL_ERROR_ZERO_RETURN) or a fatal error: the association is over.
    end(s.link.peer, End::kClosed);
    return false;
  }
}

bool DtlsSessions::send(const FiveTuple& tuple, Bytes message) {
  ERR_clear_error();
  auto it = sessions_.find(tuple.client);
  if (it == sessions_.end() || !it->second->established || message.empty()) return false;
  const int n = SSL_write(it->second->ssl, message.data(), static_cast<int>(message.size()));
  if (n <= 0) ERR_clear_error();
  return n > 0;
}

void DtlsSessions::tick(TimePoint now) {
  ERR_clear_error();
  std::vector<std::pair<Address, End>> ending;
  for (auto& [client, s] : sessions_) {
    if (!s->established) {
      if (now - s->started > limits_.handshake_deadline) {
        ending.emplace_back(client, End::kSlow);
      } else {
        // RFC 6347 §4.2.4: resend our last flight when the client's answer is overdue (the
        // timer is OpenSSL's; a second's granularity is enough for a 1 s initial timeout).
        (void)DTLSv1_handle_timeout(s->ssl);
      }
    } else if (now - s->last_message > limits_.idle_timeout && !worker_.has_allocation(s->tuple)) {
      ending.emplace_back(client, End::kIdle);
    }
  }
  for (auto& [client, why] : ending) end(client, why);
  ERR_clear_error();
}

void DtlsSessions::close_all() {
  while (!sessions_.empty()) end(sessions_.begin()->first, End::kClosed);
}

void DtlsSessions::end(Address client, End why) {
  auto it = sessions_.find(client);
  if (it == sessions_.end()) return;
  const FiveTuple tuple = it->second->tuple;
  // A polite end tells the client at once (it need not wait for its own timeout); a session
  // that failed has already sent its alert.
  if (it->second->established && why != End::kClosed) (void)SSL_shutdown(it->second->ssl);
  sessions_.erase(it);
  worker_.on_dtls_closed(tuple, why == End::kSlow, why == End::kIdle);
}

}  // namespace ferry::net
