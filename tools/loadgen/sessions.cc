#include "loadgen/sessions.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "loadgen/wire.h"

namespace ferry::loadgen {

namespace {

constexpr std::uint16_t kFirstChannel = 0x4000;  // RFC 8656 §12: 0x4000..0x4FFF
constexpr std::size_t kChannels = 0x1000;
constexpr int kBareProbeAttempts = 250;
constexpr int kBareProbeWaitMs = 2;
constexpr std::size_t kBigFleet = 256;  // above this, client sockets keep default buffers

// The next datagram on `fd` within `timeout_ms`, with its source; false if none came.
bool receive_from(int fd, int timeout_ms, Address* from) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) return false;
  std::uint8_t buf[2048];
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  ssize_t n = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&ss), &len);
  if (n < 0) return false;
  *from = Address::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
  return true;
}

}  // namespace

void tune_socket(int fd, int bytes) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  if (bytes <= 0) return;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  }
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof bytes) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
  }
}

int open_peer_socket(const Address& source, Address* bound, std::string* error) {
  int fd = socket(source.is_v6() ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_storage ss;
  socklen_t len = source.to_sockaddr(&ss);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    *error = "peer socket on " + source.to_string() + ": " + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return -1;
  }
  len = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  *bound = Address::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
  tune_socket(fd, 16 << 20);
  return fd;
}

void raise_fd_limit() {
  rlimit r;
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) return;
  r.rlim_cur = r.rlim_max;
  setrlimit(RLIMIT_NOFILE, &r);
}

std::string describe(const char* what, const client::TurnStatus& st) {
  std::string s = std::string(what) + ": ";
  if (st.error_code != 0) s += std::to_string(st.error_code) + " ";
  return s + st.reason;
}

bool Fleet::open_turn(std::size_t n, std::string* error) {
  sessions_.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (!add_turn(i, error)) {
      *error = "allocation " + std::to_string(i + 1) + ": " + *error;
      return false;
    }
  }
  return true;
}

bool Fleet::add_turn(std::size_t i, std::string* error) {
  auto sock = client::ClientSocket::open(o_.transport, o_.server, error, &o_.source);
  if (!sock) return false;
  Session s;
  s.turn = std::make_unique<client::TurnClient>(std::move(*sock));
  auto r = s.turn->allocate(o_.user, o_.password, static_cast<std::uint32_t>(o_.lifetime));
  if (!r.ok) {
    *error = describe("Allocate", r);
    return false;
  }
  s.relayed = r.relayed;
  s.channel = static_cast<std::uint16_t>(kFirstChannel + i % kChannels);
  const bool channel = o_.framing == Framing::kChannel;
  auto st = channel ? s.turn->channel_bind(s.channel, peer_) : s.turn->create_permission(peer_);
  if (!st.ok) {
    *error = describe(channel ? "ChannelBind" : "CreatePermission", st);
    s.turn->refresh(0);
    return false;
  }
  s.fd = s.turn->socket().fd();
  finish(&s);
  sessions_.push_back(std::move(s));
  return true;
}

bool Fleet::open_bare(std::size_t n, std::string* error) {
  sessions_.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (!add_bare(i, error)) {
      *error = "bare mapping " + std::to_string(i + 1) + ": " + *error;
      return false;
    }
  }
  return true;
}

bool Fleet::add_bare(std::size_t i, std::string* error) {
  Session s;
  s.bare_socket = client::ClientSocket::open(o_.transport, o_.server, error, &o_.source);
  if (!s.bare_socket) return false;
  s.fd = s.bare_socket->fd();
  s.relayed = o_.server;
  s.relayed.set_port(static_cast<std::uint16_t>(o_.bare_relay_port + static_cast<long>(i)));
  // The bare relay maps channel 0x4000 + i to mapping i for every mapping (no RFC range to
  // respect: it is not TURN), so each of up to 16,384 mappings has its own number.
  s.channel = static_cast<std::uint16_t>(kFirstChannel + i);
  s.relayed_len = s.relayed.to_sockaddr(&s.relayed_sa);
  if (!(is_stream(o_.transport) ? handshake_bare_stream(s) : handshake_bare(s))) {
    *error = "no answer from the bare relay on " + s.relayed.to_string();
    return false;
  }
  finish(&s);
  sessions_.push_back(std::move(s));
  return true;
}

// The peer's probe teaches the relay the peer of this mapping, the client's ChannelData probe
// the client; success when each side has received something through the relay.
bool Fleet::handshake_bare(Session& s) {
  std::uint8_t probe[kChannelHeader + 8] = {};
  write_channel_header(probe, s.channel, 8);
  bool at_peer = false;
  bool at_client = false;
  // The first round can only reach the peer (the relay learns the client from its probe after
  // it has dropped the peer's); the second reaches both. Short waits: with 16,000 mappings a
  // wait that runs out on every mapping would take minutes.
  for (int attempt = 0; attempt < kBareProbeAttempts && !(at_peer && at_client); ++attempt) {
    sendto(peer_fd_, probe + kChannelHeader, 8, 0, reinterpret_cast<sockaddr*>(&s.relayed_sa),
           s.relayed_len);
    send(s.fd, probe, sizeof probe, 0);
    Address from;
    while (receive_from(peer_fd_, at_peer ? 0 : kBareProbeWaitMs, &from)) {
      at_peer |= from == s.relayed;
    }
    while (receive_from(s.fd, at_client ? 0 : kBareProbeWaitMs, &from)) at_client = true;
  }
  return at_peer && at_client;
}

// The same over a stream: the client's probe (ChannelData of 8 bytes, a multiple of 4, so no
// padding) teaches the relay this mapping's connection; the peer's probes come back on it.
bool Fleet::handshake_bare_stream(Session& s) {
  // Non-blocking from here: a blocking SSL_read that has just taken TLS 1.3 session tickets
  // would wait for application data (up to the socket's 5-s timeout) before the peer's first
  // probe can come back.
  tune_socket(s.fd, 0);
  std::uint8_t probe[kChannelHeader + 8] = {};
  write_channel_header(probe, s.channel, 8);
  bool at_peer = false;
  bool at_client = false;
  for (int attempt = 0; attempt < kBareProbeAttempts && !(at_peer && at_client); ++attempt) {
    sendto(peer_fd_, probe + kChannelHeader, 8, 0, reinterpret_cast<sockaddr*>(&s.relayed_sa),
           s.relayed_len);
    if (!s.bare_socket->send(Bytes(probe, sizeof probe))) return false;
    Address from;
    while (receive_from(peer_fd_, at_peer ? 0 : kBareProbeWaitMs, &from)) {
      at_peer |= from == s.relayed;
    }
    while (s.bare_socket->receive(Millis(at_client ? 0 : kBareProbeWaitMs))) at_client = true;
  }
  return at_peer && at_client;
}

void Fleet::finish(Session* s) {
  s->relayed_len = s->relayed.to_sockaddr(&s->relayed_sa);
  tune_socket(s->fd, sessions_.size() < kBigFleet ? (4 << 20) : 0);
  if (is_stream(o_.transport)) {
    // As WebRTC stacks do: each tick's messages leave at once, not after the previous ACK.
    const int one = 1;
    (void)setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
}

std::size_t Fleet::refresh() {
  std::size_t failures = 0;
  const bool channel = o_.framing == Framing::kChannel;
  for (Session& s : sessions_) {
    if (!s.turn) continue;
    bool ok = s.turn->refresh(static_cast<std::uint32_t>(o_.lifetime)).ok;
    ok = ok &&
         (channel ? s.turn->channel_bind(s.channel, peer_) : s.turn->create_permission(peer_)).ok;
    if (!ok) ++failures;
  }
  return failures;
}

std::size_t Fleet::close() {
  std::size_t failures = 0;
  for (Session& s : sessions_) {
    if (s.turn && !s.turn->refresh(0).ok) ++failures;
  }
  sessions_.clear();
  return failures;
}

}  // namespace ferry::loadgen
