#include "client_socket.h"

#include <poll.h>
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
  int type = t == Transport::kUdp ? SOCK_DGRAM : SOCK_STREAM;
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
  return s;
}

ClientSocket::ClientSocket(ClientSocket&& o) noexcept
    : fd_(o.fd_),
      transport_(o.transport_),
      local_(o.local_),
      remote_(o.remote_),
      stream_buf_(std::move(o.stream_buf_)) {
  o.fd_ = -1;
}

ClientSocket& ClientSocket::operator=(ClientSocket&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) close(fd_);
    fd_ = o.fd_;
    transport_ = o.transport_;
    local_ = o.local_;
    remote_ = o.remote_;
    stream_buf_ = std::move(o.stream_buf_);
    o.fd_ = -1;
  }
  return *this;
}

ClientSocket::~ClientSocket() {
  if (fd_ >= 0) close(fd_);
}

bool ClientSocket::send(Bytes data) {
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
  for (;;) {
    if (transport_ != Transport::kUdp && !stream_buf_.empty()) {
      auto f = stun::next_frame(Bytes(stream_buf_.data(), stream_buf_.size()));
      if (f.status == stun::FrameResult::kError) return std::nullopt;
      if (f.status == stun::FrameResult::kFrame) {
        std::vector<std::uint8_t> out(stream_buf_.begin(),
                                      stream_buf_.begin() + static_cast<long>(f.frame_size));
        stream_buf_.erase(stream_buf_.begin(), stream_buf_.begin() + static_cast<long>(f.frame_size));
        return out;
      }
    }
    auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
    if (left <= 0) return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return std::nullopt;
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return std::nullopt;
    if (transport_ == Transport::kUdp) return std::vector<std::uint8_t>(buf, buf + n);
    if (n == 0) return std::nullopt;  // stream closed
    stream_buf_.insert(stream_buf_.end(), buf, buf + n);
  }
}

}  // namespace ferry::client
