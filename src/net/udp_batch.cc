#include "udp_batch.h"

#include <sys/uio.h>

#include <cerrno>
#include <cstring>

namespace ferry::net {

struct RecvBatch::Storage {
  std::array<mmsghdr, kSlots> msgs{};
  std::array<iovec, kSlots> iov{};
  std::array<sockaddr_storage, kSlots> addrs{};
  std::array<std::array<std::uint8_t, kSlotSize>, kSlots> bufs{};
};

RecvBatch::RecvBatch() : s_(std::make_unique<Storage>()) {}
RecvBatch::~RecvBatch() = default;

std::size_t RecvBatch::receive(int fd) {
  for (std::size_t i = 0; i < kSlots; ++i) {
    s_->iov[i] = {s_->bufs[i].data(), kSlotSize};
    auto& h = s_->msgs[i].msg_hdr;
    h = {};
    h.msg_name = &s_->addrs[i];
    h.msg_namelen = sizeof(sockaddr_storage);
    h.msg_iov = &s_->iov[i];
    h.msg_iovlen = 1;
    s_->msgs[i].msg_len = 0;
  }
  int n = recvmmsg(fd, s_->msgs.data(), kSlots, MSG_DONTWAIT, nullptr);
  return n > 0 ? static_cast<std::size_t>(n) : 0;
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
  std::size_t sent = 0;
  while (sent < count_) {
    int n = sendmmsg(fd, s_->msgs.data() + sent, static_cast<unsigned>(count_ - sent), MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    // A full socket buffer or an unreachable destination: UDP may drop, and one bad
    // destination must not block the rest of the batch, so skip it and go on.
    ++sent;
  }
  count_ = 0;
}

}  // namespace ferry::net
