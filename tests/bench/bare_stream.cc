#include "bare_stream.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ferry/common/bytes.h"

namespace ferry::bench {

namespace {

constexpr std::size_t kHeader = 4;
constexpr std::size_t kReadChunk = 64 * 1024;
constexpr int kMaxReads = 64;  // TCP: reads per wake-up and connection (level-triggered)
constexpr std::size_t kMaxInput = 1 << 20;  // a client that sends no whole frame is closed

std::size_t padded(std::size_t n) {
  return (n + 3) & ~std::size_t{3};
}

}  // namespace

StreamSide::~StreamSide() {
  for (std::size_t i = 0; i < conns_.size(); ++i) close_connection(i);
  if (listen_fd_ >= 0) close(listen_fd_);
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
}

bool StreamSide::open(const Address& at, int epoll_fd, std::uint64_t listen_tag,
                      const std::string& cert, const std::string& key, std::string* error) {
  epoll_fd_ = epoll_fd;
  if (!cert.empty()) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    if (ctx_ == nullptr || SSL_CTX_use_certificate_chain_file(ctx_, cert.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx_, key.c_str(), SSL_FILETYPE_PEM) != 1) {
      *error = "certificate " + cert + " or key " + key + " not usable";
      return false;
    }
    SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
    // Pending output is handed to SSL_write again from wherever it has moved to.
    SSL_CTX_set_mode(ctx_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    // The floor reads as many records per recv() as have arrived (without read-ahead OpenSSL
    // makes two reads per record: its header, then its body). What it has read ahead is
    // invisible to epoll, so read_some() reads a TLS connection until OpenSSL wants more.
    SSL_CTX_set_read_ahead(ctx_, 1);
  }
  listen_fd_ =
      socket(at.is_v6() ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  const int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_storage ss;
  const socklen_t len = at.to_sockaddr(&ss);
  if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
      listen(listen_fd_, 128) != 0) {
    *error = "listen " + at.to_string() + ": " + std::strerror(errno);
    return false;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = listen_tag;
  return epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev) == 0;
}

void StreamSide::accept_all() {
  for (;;) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    Connection c;
    c.fd = fd;
    if (ctx_ != nullptr) {
      c.ssl = SSL_new(ctx_);
      SSL_set_fd(c.ssl, fd);
      SSL_set_accept_state(c.ssl);
      c.handshaking = true;
    }
    conns_.push_back(std::move(c));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kTagBase + (conns_.size() - 1);
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  }
}

void StreamSide::on_event(std::size_t conn, std::uint32_t events) {
  release_frames();
  if (conn >= conns_.size() || conns_[conn].fd < 0) return;
  Connection& c = conns_[conn];
  if ((events & EPOLLOUT) != 0 && !flush(conn)) return;
  if (c.handshaking) {
    const int r = SSL_do_handshake(c.ssl);
    if (r != 1) {
      const int err = SSL_get_error(c.ssl, r);
      if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) close_connection(conn);
      return;
    }
    c.handshaking = false;
  }
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) == 0) return;
  const bool open = read_some(c);
  parse_frames(conn);
  // A closed connection keeps its input until the next call: frames_ point into it.
  if (!open || c.in.size() > kMaxInput) close_connection(conn);
}

// The frames handed out last time covered the first consumed_ bytes of that connection.
void StreamSide::release_frames() {
  frames_.clear();
  if (last_ >= conns_.size()) return;
  std::vector<std::uint8_t>& in = conns_[last_].in;
  if (conns_[last_].fd < 0) {
    in = {};
  } else {
    in.erase(in.begin(), in.begin() + static_cast<long>(consumed_));
  }
  last_ = ~std::size_t{0};
  consumed_ = 0;
}

bool StreamSide::read_some(Connection& c) {
  std::uint8_t buf[kReadChunk];
  for (int i = 0; c.ssl != nullptr || i < kMaxReads; ++i) {
    if (c.ssl == nullptr) {
      const ssize_t n = recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        c.in.insert(c.in.end(), buf, buf + n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
    const int n = SSL_read(c.ssl, buf, static_cast<int>(sizeof buf));
    if (n > 0) {
      c.in.insert(c.in.end(), buf, buf + n);
      continue;
    }
    const int err = SSL_get_error(c.ssl, n);
    return err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE;
  }
  return true;
}

// ChannelData only (first bits 01); anything else ends the frames of this read and, since the
// stream cannot be resynchronised, grows the input until the connection is closed.
void StreamSide::parse_frames(std::size_t conn) {
  Connection& c = conns_[conn];
  std::size_t pos = 0;
  while (c.in.size() - pos >= kHeader && (c.in[pos] & 0xC0) == 0x40) {
    const std::size_t len = load_be16(&c.in[pos + 2]);
    const std::size_t whole = kHeader + padded(len);
    if (c.in.size() - pos < whole) break;
    frames_.push_back({load_be16(&c.in[pos]), &c.in[pos + kHeader], len});
    pos += whole;
  }
  last_ = conn;
  consumed_ = pos;
}

bool StreamSide::send_channel_data(std::size_t conn, std::uint16_t channel,
                                   const std::uint8_t* const* data, const std::size_t* sizes,
                                   std::size_t count) {
  if (conn >= conns_.size() || conns_[conn].fd < 0 || conns_[conn].handshaking) return false;
  std::vector<std::uint8_t>& out = conns_[conn].out;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t at = out.size();
    out.resize(at + kHeader + padded(sizes[i]), 0);
    store_be16(&out[at], channel);
    store_be16(&out[at + 2], static_cast<std::uint16_t>(sizes[i]));
    std::memcpy(&out[at + kHeader], data[i], sizes[i]);
  }
  return flush(conn);
}

// Writes the pending output: over TLS one record per SSL_write (up to 16 KB each).
bool StreamSide::flush(std::size_t conn) {
  Connection& c = conns_[conn];
  std::size_t sent = 0;
  bool ok = true;
  while (sent < c.out.size()) {
    const std::size_t left = c.out.size() - sent;
    if (c.ssl == nullptr) {
      const ssize_t n = send(c.fd, &c.out[sent], left, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        sent += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      ok = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
      break;
    }
    const int n = SSL_write(c.ssl, &c.out[sent], static_cast<int>(left));
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    const int err = SSL_get_error(c.ssl, n);
    ok = err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ;
    break;
  }
  c.out.erase(c.out.begin(), c.out.begin() + static_cast<long>(sent));
  if (!ok) {
    close_connection(conn);
    return false;
  }
  if (c.out.empty() == c.want_out) watch(conn, !c.out.empty());
  return true;
}

void StreamSide::watch(std::size_t conn, bool out) {
  Connection& c = conns_[conn];
  c.want_out = out;
  epoll_event ev{};
  ev.events = out ? EPOLLIN | EPOLLOUT : EPOLLIN;
  ev.data.u64 = kTagBase + conn;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev);
}

void StreamSide::close_connection(std::size_t conn) {
  Connection& c = conns_[conn];
  if (c.fd < 0) return;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd, nullptr);
  if (c.ssl != nullptr) SSL_free(c.ssl);
  close(c.fd);
  c.fd = -1;
  c.ssl = nullptr;
  c.out.clear();
  // c.in is kept until the next call: frames_ may point into it.
}

}  // namespace ferry::bench
