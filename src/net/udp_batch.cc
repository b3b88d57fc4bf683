#include "udp_batch.h"

#include <sys/uio.h>

#include <cerrno>
#include <cstring>

namespace ferry::net {

namespace {

// Sends msgs[0..n) on `fd` with as few sendmmsg calls as the kernel allows. A full socket
// buffer or an unreachable destination drops that one datagram (UDP may drop; one bad
// destination must not hold back the rest) and the rest still go.
void send_all(int fd, mmsghdr* msgs, std::size_t n) {
  std::size_t sent = 0;
  while (sent < n) {
    int r = sendmmsg(fd, msgs + sent, static_cast<unsigned>(n - sent), MSG_DONTWAIT);
    if (r > 0) {
      sent += static_cast<std::size_t>(r);
    } else if (r < 0 && errno == EINTR) {
      continue;
    } else {
      ++sent;
    }
  }
}

}  // namespace

struct RecvBatch::Storage {
  std::array<mmsghdr, kSlots> msgs{};
  std::array<iovec, kSlots> iov{};
  std::array<sockaddr_storage, kSlots> addrs{};
  std::array<std::array<std::uint8_t, kSlotSize>, kSlots> bufs{};
};

RecvBatch::RecvBatch() : s_(std::make_unique<Storage>()) {
  for (std::size_t i = 0; i < kSlots; ++i) {
    s_->iov[i] = {s_->bufs[i].data(), kSlotSize};
    auto& h = s_->msgs[i].msg_hdr;
    h = {};
    h.msg_name = &s_->addrs[i];
    h.msg_namelen = sizeof(sockaddr_storage);
    h.msg_iov = &s_->iov[i];
    h.msg_iovlen = 1;
  }
}
RecvBatch::~RecvBatch() = default;

std::size_t RecvBatch::receive(int fd) {
  // The headers are built once. recvmmsg writes back only msg_len, msg_namelen and msg_flags of
  // the messages it fills, so only the source-address lengths of the last call's messages need
  // resetting: a wake-up with one datagram costs a few stores here, not the whole batch
  // (callgrind: rebuilding all 32 headers was ~850 instructions, most of a packet's user-space
  // cost at low rates).
  for (std::size_t i = 0; i < last_; ++i) {
    s_->msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
  }
  int n = recvmmsg(fd, s_->msgs.data(), kSlots, MSG_DONTWAIT, nullptr);
  last_ = n > 0 ? static_cast<std::size_t>(n) : 0;
  return last_;
}

Bytes RecvBatch::data(std::size_t i) const {
  return Bytes(s_->bufs[i].data(), s_->msgs[i].msg_len);
}

Address RecvBatch::source(std::size_t i) const {
  const auto& h = s_->msgs[i].msg_hdr;
  return Address::from_sockaddr(reinterpret_cast<const sockaddr*>(h.msg_name), h.msg_namelen);
}

bool RecvBatch::truncated(std::size_t i) const {
  return (s_->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
}

struct SendBatch::Storage {
  std::array<mmsghdr, kSlots> msgs{};
  std::array<iovec, kSlots> iov{};
  std::array<sockaddr_storage, kSlots> addrs{};
  std::array<std::array<std::uint8_t, kSlotSize>, kSlots> bufs{};
};

SendBatch::SendBatch() : s_(std::make_unique<Storage>()) {}
SendBatch::~SendBatch() = default;

void SendBatch::add(int fd, const Address& to, Bytes data) {
  if (data.size() > kSlotSize) {
    flush(fd);  // keep order
    sockaddr_storage ss;
    socklen_t len = to.to_sockaddr(&ss);
    (void)sendto(fd, data.data(), data.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&ss), len);
    return;
  }
  if (count_ == kSlots) flush(fd);
  std::size_t i = count_++;
  std::memcpy(s_->bufs[i].data(), data.data(), data.size());
  s_->iov[i] = {s_->bufs[i].data(), data.size()};
  auto& h = s_->msgs[i].msg_hdr;
  h = {};
  h.msg_name = &s_->addrs[i];
  h.msg_namelen = to.to_sockaddr(&s_->addrs[i]);
  h.msg_iov = &s_->iov[i];
  h.msg_iovlen = 1;
}

void SendBatch::flush(int fd) {
  send_all(fd, s_->msgs.data(), count_);
  count_ = 0;
}

struct PeerSendBatch::Storage {
  std::array<int, kSlots> fds{};
  std::array<iovec, kSlots> iov{};
  std::array<sockaddr_storage, kSlots> addrs{};
  std::array<socklen_t, kSlots> addr_lens{};
  std::array<bool, kSlots> done{};
  std::array<mmsghdr, kSlots> group{};  // one socket's messages, built at flush
};

PeerSendBatch::PeerSendBatch() : s_(std::make_unique<Storage>()) {}
PeerSendBatch::~PeerSendBatch() = default;

void PeerSendBatch::add(int fd, const Address& to, Bytes data) {
  if (count_ == kSlots) flush();
  std::size_t i = count_++;
  s_->fds[i] = fd;
  // sendmmsg takes a non-const iovec; the kernel only reads it.
  s_->iov[i] = {const_cast<std::uint8_t*>(data.data()), data.size()};
  s_->addr_lens[i] = to.to_sockaddr(&s_->addrs[i]);
  s_->done[i] = false;
}

void PeerSendBatch::flush() {
  // Group by socket, in order: with few allocations, a client batch holds several packets per
  // relay socket (one system call for them); with many, each packet has its own.
  for (std::size_t first = 0; first < count_; ++first) {
    if (s_->done[first]) continue;
    const int fd = s_->fds[first];
    unsigned n = 0;
    for (std::size_t i = first; i < count_; ++i) {
      if (s_->done[i] || s_->fds[i] != fd) continue;
      s_->done[i] = true;
      auto& h = s_->group[n++].msg_hdr;
      h = {};
      h.msg_name = &s_->addrs[i];
      h.msg_namelen = s_->addr_lens[i];
      h.msg_iov = &s_->iov[i];
      h.msg_iovlen = 1;
    }
    send_all(fd, s_->group.data(), n);
  }
  count_ = 0;
}

}  // namespace ferry::net
