#include "loadgen/traffic.h"

#include <netinet/in.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "loadgen/wire.h"

namespace ferry::loadgen {

namespace {

constexpr std::uint64_t kPeerTag = ~std::uint64_t{0};
constexpr std::size_t kMaxEvents = 256;
constexpr int kMaxDrainRounds = 8;       // batches per socket per wake-up, for fairness
constexpr std::size_t kMaxCatchUp = 16;  // batches per direction per loop when behind
constexpr std::uint64_t kNsPerSecond = 1000000000ULL;

bool same_endpoint(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET) {
    const auto& x = reinterpret_cast<const sockaddr_in&>(a);
    const auto& y = reinterpret_cast<const sockaddr_in&>(b);
    return x.sin_port == y.sin_port && x.sin_addr.s_addr == y.sin_addr.s_addr;
  }
  const auto& x = reinterpret_cast<const sockaddr_in6&>(a);
  const auto& y = reinterpret_cast<const sockaddr_in6&>(b);
  return x.sin6_port == y.sin6_port && std::memcmp(&x.sin6_addr, &y.sin6_addr, 16) == 0;
}

}  // namespace

Traffic::Traffic(const Options& o, std::vector<Session>& sessions, int peer_fd, const Address& peer)
    : o_(o),
      sessions_(sessions),
      peer_fd_(peer_fd),
      peer_(peer),
      buffers_(kBatch * kBufferSize),
      iov_(kBatch),
      msgs_(kBatch),
      names_(kBatch) {
  for (std::size_t i = 0; i < buffers_.size(); ++i) buffers_[i] = static_cast<std::uint8_t>(i);
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kPeerTag;
  bool ok = epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, peer_fd_, &ev) == 0;
  for (std::size_t i = 0; ok && i < sessions_.size(); ++i) {
    ev.data.u64 = i;
    ok = epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, sessions_[i].fd, &ev) == 0;
  }
  if (ok && is_stream(o_.transport)) {
    streams_.reserve(sessions_.size());
    for (Session& s : sessions_) {
      streams_.push_back(std::make_unique<Stream>(s.socket(), &r_.stream));
    }
    is_unflushed_.assign(sessions_.size(), false);
    if (!streams_.empty()) r_.tls = streams_.front()->tls_description();
  }
  if (!ok) {
    close(epoll_fd_);
    epoll_fd_ = -1;
  }
}

Traffic::~Traffic() {
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

TrafficResult Traffic::run() {
  const std::uint64_t start = now_ns();
  const std::uint64_t end = start + static_cast<std::uint64_t>(o_.seconds) * kNsPerSecond;
  std::uint64_t now = start;
  while (now < end) {
    const bool behind = send_due(now - start);
    flush_streams();
    poll_events(o_.rate == 0 || behind ? 0 : 1);
    now = now_ns();
  }
  r_.send_seconds = static_cast<double>(now - start) / 1e9;
  const std::uint64_t drain_end = now + static_cast<std::uint64_t>(o_.drain_ms) * 1000000ULL;
  while (!all_arrived() && now_ns() < drain_end) {
    flush_streams();
    poll_events(unflushed_.empty() ? 5 : 1);
  }
  end_streams();
  return r_;
}

// Streams whose output the socket refused earlier: try again (once per loop, so at most a
// millisecond late; no EPOLLOUT interest to keep the epoll set the same as over UDP).
void Traffic::flush_streams() {
  std::size_t kept = 0;
  for (const std::uint32_t i : unflushed_) {
    if (streams_[i]->flush()) {
      is_unflushed_[i] = false;
    } else {
      unflushed_[kept++] = i;
    }
  }
  unflushed_.resize(kept);
}

void Traffic::end_streams() {
  for (const auto& s : streams_) r_.unsent_bytes += s->pending();
  streams_.clear();
  unflushed_.clear();
}

// Sends what the rate asks for by now, at most kMaxCatchUp batches per direction; true if
// that cap held some back (the loop then polls without waiting).
bool Traffic::send_due(std::uint64_t elapsed_ns) {
  const bool both = o_.c2p && o_.p2c;
  bool behind = false;
  for (int d = 0; d < 2; ++d) {
    if (!(d == 0 ? o_.c2p : o_.p2c)) continue;
    std::size_t k = kBatch;
    if (o_.rate > 0) {
      const double rate = static_cast<double>(o_.rate) / (both ? 2.0 : 1.0);
      const auto due = static_cast<std::uint64_t>(rate * static_cast<double>(elapsed_ns) / 1e9);
      k = due > attempted_[d] ? static_cast<std::size_t>(due - attempted_[d]) : 0;
      behind |= k > kMaxCatchUp * kBatch;
      k = std::min(k, kMaxCatchUp * kBatch);
    }
    if (k == 0) continue;
    if (d == 0) {
      send_c2p(k);
    } else {
      send_p2c(k);
    }
  }
  return behind;
}

// Round robin over the allocations: every socket gets k / n packets, and the next k % n
// sockets one more, sent as one sendmmsg per socket.
void Traffic::send_c2p(std::size_t k) {
  const std::size_t n = sessions_.size();
  const std::size_t base = k / n;
  const std::size_t extra = k % n;
  for (std::size_t j = 0; j < n; ++j) {
    const std::size_t m = base + (j < extra ? 1 : 0);
    if (m == 0) break;
    const std::size_t i = (cursor_[0] + j) % n;
    send_c2p_on(sessions_[i], static_cast<std::uint32_t>(i), m);
  }
  cursor_[0] = (cursor_[0] + extra) % n;
}

void Traffic::send_c2p_on(Session& s, std::uint32_t index, std::size_t m) {
  if (!streams_.empty()) {
    send_c2p_stream(s, index, m);
    return;
  }
  const auto size = static_cast<std::size_t>(o_.size);
  while (m > 0) {
    const std::size_t b = std::min(m, kBatch);
    const std::uint64_t now = now_ns();
    for (std::size_t q = 0; q < b; ++q) {
      std::uint8_t* buf = &buffers_[q * kBufferSize];
      std::size_t header = kChannelHeader;
      std::size_t len = kChannelHeader + size;
      if (o_.framing == Framing::kChannel) {
        write_channel_header(buf, s.channel, size);
      } else {
        header = write_send_header(buf, peer_, size, ++tid_);
        len = send_size(header, size);
      }
      fill_payload(buf + header, Direction::kC2p, index, now);
      iov_[q] = {buf, len};
      msgs_[q] = {};
      msgs_[q].msg_hdr.msg_iov = &iov_[q];
      msgs_[q].msg_hdr.msg_iovlen = 1;
    }
    const int r = sendmmsg(s.fd, msgs_.data(), static_cast<unsigned>(b), MSG_DONTWAIT);
    account_sent(0, b, r);
    m -= b;
  }
}

// The same messages over a stream: ChannelData padded to a multiple of 4 (RFC 8656 §12.5; a
// Send indication already is), each queued whole, then one flush for the socket.
void Traffic::send_c2p_stream(Session& s, std::uint32_t index, std::size_t m) {
  const auto size = static_cast<std::size_t>(o_.size);
  std::uint8_t* buf = buffers_.data();
  std::size_t queued = 0;
  const std::uint64_t now = now_ns();
  for (std::size_t q = 0; q < m; ++q) {
    std::size_t header = kChannelHeader;
    std::size_t len = send_size(kChannelHeader, size);
    if (o_.framing == Framing::kChannel) {
      write_channel_header(buf, s.channel, size);
    } else {
      header = write_send_header(buf, peer_, size, ++tid_);
      len = send_size(header, size);
    }
    fill_payload(buf + header, Direction::kC2p, index, now);
    std::memset(buf + header + size, 0, len - header - size);
    if (!streams_[index]->queue(Bytes(buf, len))) break;
    ++queued;
  }
  account_sent(0, m, static_cast<int>(queued));
  if (!streams_[index]->flush() && !is_unflushed_[index]) {
    is_unflushed_[index] = true;
    unflushed_.push_back(index);
  }
}

void Traffic::send_p2c(std::size_t k) {
  const std::size_t n = sessions_.size();
  const auto size = static_cast<std::size_t>(o_.size);
  while (k > 0) {
    const std::size_t b = std::min(k, kBatch);
    const std::uint64_t now = now_ns();
    for (std::size_t q = 0; q < b; ++q) {
      const std::size_t i = cursor_[1];
      cursor_[1] = (cursor_[1] + 1) % n;
      std::uint8_t* buf = &buffers_[q * kBufferSize];
      fill_payload(buf, Direction::kP2c, static_cast<std::uint32_t>(i), now);
      iov_[q] = {buf, size};
      msgs_[q] = {};
      msgs_[q].msg_hdr.msg_name = &sessions_[i].relayed_sa;
      msgs_[q].msg_hdr.msg_namelen = sessions_[i].relayed_len;
      msgs_[q].msg_hdr.msg_iov = &iov_[q];
      msgs_[q].msg_hdr.msg_iovlen = 1;
    }
    const int r = sendmmsg(peer_fd_, msgs_.data(), static_cast<unsigned>(b), MSG_DONTWAIT);
    account_sent(1, b, r);
    k -= b;
  }
}

void Traffic::account_sent(int d, std::size_t batch, int result) {
  const std::size_t ok = result > 0 ? static_cast<std::size_t>(result) : 0;
  DirectionStats& s = d == 0 ? r_.c2p : r_.p2c;
  s.sent += ok;
  s.send_errors += batch - ok;
  attempted_[d] += batch;
}

void Traffic::fill_payload(std::uint8_t* at, Direction d, std::uint32_t index, std::uint64_t now) {
  Stamp s;
  s.direction = d;
  s.allocation = index;
  s.seq = seq_[static_cast<int>(d)]++;
  s.sent_ns = now;
  write_stamp(at, s);
}

void Traffic::poll_events(int timeout_ms) {
  epoll_event ev[kMaxEvents];
  const int n = epoll_wait(epoll_fd_, ev, static_cast<int>(kMaxEvents), timeout_ms);
  for (int i = 0; i < n; ++i) {
    const bool peer = ev[i].data.u64 == kPeerTag;
    const auto index = static_cast<std::uint32_t>(peer ? 0 : ev[i].data.u64);
    if (!peer && !streams_.empty()) {
      drain_stream(index);
    } else {
      drain(peer ? peer_fd_ : sessions_[index].fd, peer, index);
    }
  }
}

void Traffic::drain(int fd, bool peer, std::uint32_t index) {
  for (int round = 0; round < kMaxDrainRounds; ++round) {
    for (std::size_t q = 0; q < kBatch; ++q) {
      iov_[q] = {&buffers_[q * kBufferSize], kBufferSize};
      msgs_[q] = {};
      msgs_[q].msg_hdr.msg_name = peer ? &names_[q] : nullptr;
      msgs_[q].msg_hdr.msg_namelen = peer ? sizeof(sockaddr_storage) : 0;
      msgs_[q].msg_hdr.msg_iov = &iov_[q];
      msgs_[q].msg_hdr.msg_iovlen = 1;
    }
    const int r = recvmmsg(fd, msgs_.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (r <= 0) return;
    const std::uint64_t now = now_ns();
    for (int q = 0; q < r; ++q) {
      Bytes dg(&buffers_[static_cast<std::size_t>(q) * kBufferSize], msgs_[q].msg_len);
      if (peer) {
        account(dg, Direction::kC2p, &names_[static_cast<std::size_t>(q)], 0, now);
      } else {
        account(client_payload(dg), Direction::kP2c, nullptr, index, now);
      }
    }
    if (static_cast<std::size_t>(r) < kBatch) return;
  }
}

// What a stream client has received, frame by frame: ChannelData or Data indications counted
// as over UDP, anything else (a STUN response) as foreign. A stream that ended or cannot be
// framed any more leaves the epoll set (its packets still due count as lost).
void Traffic::drain_stream(std::uint32_t index) {
  const std::uint64_t now = now_ns();
  const bool open = streams_[index]->read(
      [&](Bytes frame) { account(client_payload(frame), Direction::kP2c, nullptr, index, now); });
  if (!open) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, sessions_[index].fd, nullptr);
}

// A payload that arrived: at the peer from `from` (c2p), or at client socket `index` (p2c).
void Traffic::account(Bytes payload, Direction expected, const sockaddr_storage* from,
                      std::uint32_t index, std::uint64_t now) {
  Stamp st;
  if (!read_stamp(payload, &st) || st.direction != expected || st.allocation >= sessions_.size()) {
    ++r_.foreign;
    return;
  }
  DirectionStats& s = expected == Direction::kC2p ? r_.c2p : r_.p2c;
  ++s.received;
  s.latency.add(now >= st.sent_ns ? now - st.sent_ns : 0);
  const bool routed = from != nullptr ? same_endpoint(*from, sessions_[st.allocation].relayed_sa)
                                      : st.allocation == index;
  if (!routed) ++s.wrong_allocation;
}

bool Traffic::all_arrived() const {
  return (!o_.c2p || r_.c2p.received >= r_.c2p.sent) && (!o_.p2c || r_.p2c.received >= r_.p2c.sent);
}

}  // namespace ferry::loadgen
