#include "client_socket.h"

#include <fcntl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ferry/stun/framing.h"

namespace ferry::client {

std::optional<ClientSocket> ClientSocket::open(Transport t, const Address& server,
                                               std::string* error, const Address* local) {
  ClientSocket s;
  s.transport_ = t;
  s.remote_ = server;
  int type = is_stream(t) ? SOCK_STREAM : SOCK_DGRAM;
  s.fd_ = socket(server.is_v6() ? AF_INET6 : AF_INET, type | SOCK_CLOEXEC, 0);
  if (s.fd_ < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return std::nullopt;
  }
  sockaddr_storage ss;
  if (local != nullptr) {
    socklen_t len = local->to_sockaddr(&ss);
    if (bind(s.fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
      *error = "bind " + local->to_string() + ": " + std::strerror(errno);
      return std::nullopt;
    }
  }
  socklen_t len = server.to_sockaddr(&ss);
  if (connect(s.fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    *error = "connect " + server.to_string() + ": " + std::strerror(errno);
    return std::nullopt;
  }
  sockaddr_storage me;
  socklen_t mlen = sizeof me;
  getsockname(s.fd_, reinterpret_cast<sockaddr*>(&me), &mlen);
  s.local_ = Address::from_sockaddr(reinterpret_cast<sockaddr*>(&me), mlen);
  if (t == Transport::kTls && !s.start_tls(error)) return std::nullopt;
  if (t == Transport::kDtls && !s.start_dtls(error)) return std::nullopt;
  return s;
}

bool ClientSocket::start_dtls(std::string* error) {
  tls_ctx_ = SSL_CTX_new(DTLS_client_method());
  if (tls_ctx_ == nullptr) {
    *error = "SSL_CTX_new failed";
    return false;
  }
  SSL_CTX_set_min_proto_version(tls_ctx_, DTLS1_2_VERSION);
  static const unsigned char kAlpn[] = "\x09stun.turn";
  SSL_CTX_set_alpn_protos(tls_ctx_, kAlpn, sizeof kAlpn - 1);
  tls_ = SSL_new(tls_ctx_);
  BIO* bio = BIO_new_dgram(fd_, BIO_NOCLOSE);
  if (tls_ == nullptr || bio == nullptr) {
    if (bio != nullptr) BIO_free(bio);
    *error = "SSL_new failed";
    return false;
  }
  sockaddr_storage ss;
  remote_.to_sockaddr(&ss);
  BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, &ss);
  SSL_set_bio(tls_, bio, bio);
  // Non-blocking, so the handshake's retransmissions (RFC 6347 §4.2.4) run on our clock and
  // the whole handshake is bounded (OpenSSL's own would retry for minutes).
  fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
  const auto deadline = Clock::now() + Millis(5000);
  for (;;) {
    const int r = SSL_connect(tls_);
    if (r == 1) return true;
    const int err = SSL_get_error(tls_, r);
    if ((err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) || Clock::now() >= deadline) {
      *error = "DTLS handshake with " + remote_.to_string() + " failed";
      return false;
    }
    int wait = 100;
    timeval tv{};
    if (DTLSv1_get_timeout(tls_, &tv) == 1) {
      wait = std::min<int>(wait, static_cast<int>(tv.tv_sec * 1000 + tv.tv_usec / 1000));
    }
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, wait) == 0) (void)DTLSv1_handle_timeout(tls_);
  }
}

bool ClientSocket::start_tls(std::string* error) {
  // OpenSSL writes with write(), which raises SIGPIPE when the server has closed (a refused
  // handshake): this client makes that an error instead of its death, for the whole process.
  (void)signal(SIGPIPE, SIG_IGN);
  tls_ctx_ = SSL_CTX_new(TLS_client_method());
  if (tls_ctx_ == nullptr) {
    *error = "SSL_CTX_new failed";
    return false;
  }
  SSL_CTX_set_min_proto_version(tls_ctx_, TLS1_2_VERSION);
  static const unsigned char kAlpn[] = "\x09stun.turn";
  SSL_CTX_set_alpn_protos(tls_ctx_, kAlpn, sizeof kAlpn - 1);
  tls_ = SSL_new(tls_ctx_);
  if (tls_ == nullptr || SSL_set_fd(tls_, fd_) != 1) {
    *error = "SSL_new failed";
    return false;
  }
  // The socket is blocking: the handshake completes (or fails) here, bounded by a timeout.
  timeval tv{5, 0};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (SSL_connect(tls_) != 1) {
    *error = "TLS handshake with " + remote_.to_string() + " failed";
    return false;
  }
  return true;
}

void ClientSocket::shutdown_tls() {
  if (tls_ != nullptr) (void)SSL_shutdown(tls_);
}

std::string ClientSocket::peer_certificate_sha256() const {
  if (tls_ == nullptr) return "";
  X509* cert = SSL_get1_peer_certificate(tls_);
  if (cert == nullptr) return "";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  const bool ok = X509_digest(cert, EVP_sha256(), md, &n) == 1;
  X509_free(cert);
  if (!ok) return "";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xF];
  }
  return out;
}

std::string ClientSocket::alpn() const {
  if (tls_ == nullptr) return "";
  const unsigned char* p = nullptr;
  unsigned int n = 0;
  SSL_get0_alpn_selected(tls_, &p, &n);
  return p == nullptr ? "" : std::string(reinterpret_cast<const char*>(p), n);
}

ClientSocket::ClientSocket(ClientSocket&& o) noexcept
    : fd_(o.fd_),
      tls_ctx_(o.tls_ctx_),
      tls_(o.tls_),
      transport_(o.transport_),
      local_(o.local_),
      remote_(o.remote_),
      stream_buf_(std::move(o.stream_buf_)) {
  o.fd_ = -1;
  o.tls_ctx_ = nullptr;
  o.tls_ = nullptr;
}

ClientSocket& ClientSocket::operator=(ClientSocket&& o) noexcept {
  if (this != &o) {
    if (tls_ != nullptr) SSL_free(tls_);
    if (tls_ctx_ != nullptr) SSL_CTX_free(tls_ctx_);
    if (fd_ >= 0) close(fd_);
    fd_ = o.fd_;
    tls_ctx_ = o.tls_ctx_;
    tls_ = o.tls_;
    o.tls_ctx_ = nullptr;
    o.tls_ = nullptr;
    transport_ = o.transport_;
    local_ = o.local_;
    remote_ = o.remote_;
    stream_buf_ = std::move(o.stream_buf_);
    o.fd_ = -1;
  }
  return *this;
}

ClientSocket::~ClientSocket() {
  if (tls_ != nullptr) SSL_free(tls_);
  if (tls_ctx_ != nullptr) SSL_CTX_free(tls_ctx_);
  if (fd_ >= 0) close(fd_);
}

bool ClientSocket::send(Bytes data) {
  if (tls_ != nullptr) {
    return data.empty() || SSL_write(tls_, data.data(), static_cast<int>(data.size())) ==
                               static_cast<int>(data.size());
  }
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (transport_ == Transport::kUdp) return static_cast<std::size_t>(n) == data.size();
    off += static_cast<std::size_t>(n);
  }
  return true;
}

std::optional<std::vector<std::uint8_t>> ClientSocket::receive(Millis timeout) {
  auto deadline = Clock::now() + timeout;
  std::uint8_t buf[65536];
  if (transport_ == Transport::kDtls) return receive_dtls(deadline, buf, sizeof buf);
  for (;;) {
    if (transport_ != Transport::kUdp && !stream_buf_.empty()) {
      auto f = stun::next_frame(Bytes(stream_buf_.data(), stream_buf_.size()));
      if (f.status == stun::FrameResult::kError) return std::nullopt;
      if (f.status == stun::FrameResult::kFrame) {
        std::vector<std::uint8_t> out(stream_buf_.begin(),
                                      stream_buf_.begin() + static_cast<long>(f.frame_size));
        stream_buf_.erase(stream_buf_.begin(),
                          stream_buf_.begin() + static_cast<long>(f.frame_size));
        return out;
      }
    }
    auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
    if (left <= 0) return std::nullopt;
    if (tls_ != nullptr && SSL_pending(tls_) > 0) {
      if (!read_some(buf, sizeof buf)) return std::nullopt;
      continue;
    }
    pollfd p{fd_, POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return std::nullopt;
    if (tls_ != nullptr) {
      if (!read_some(buf, sizeof buf)) return std::nullopt;
      continue;
    }
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return std::nullopt;
    if (transport_ == Transport::kUdp) return std::vector<std::uint8_t>(buf, buf + n);
    if (n == 0) return std::nullopt;  // stream closed
    stream_buf_.insert(stream_buf_.end(), buf, buf + n);
  }
}

std::optional<std::vector<std::uint8_t>> ClientSocket::receive_dtls(TimePoint deadline,
                                                                    std::uint8_t* buf,
                                                                    std::size_t size) {
  // One record is one message (RFC 8656 §12.5). The socket is non-blocking.
  for (;;) {
    const int n = SSL_read(tls_, buf, static_cast<int>(size));
    if (n > 0) return std::vector<std::uint8_t>(buf, buf + n);
    if (SSL_get_error(tls_, n) != SSL_ERROR_WANT_READ) return std::nullopt;
    auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
    if (left <= 0) return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) return std::nullopt;
  }
}

bool ClientSocket::read_some(std::uint8_t* buf, std::size_t size) {
  int n = SSL_read(tls_, buf, static_cast<int>(size));
  if (n <= 0) {
    // A record that is not complete yet (the socket is readable, the record is not whole).
    return SSL_get_error(tls_, n) == SSL_ERROR_WANT_READ;
  }
  stream_buf_.insert(stream_buf_.end(), buf, buf + n);
  return true;
}

}  // namespace ferry::client
