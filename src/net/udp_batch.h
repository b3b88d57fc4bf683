// recvmmsg/sendmmsg batches (DESIGN.md section 2): one system call moves up to a batch of
// datagrams. Buffers are allocated once per worker, never per packet.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <memory>

#include "ferry/common/address.h"
#include "ferry/common/bytes.h"

namespace ferry::net {

class RecvBatch {
 public:
  static constexpr std::size_t kSlots = 32;
  // Larger than any Ethernet-path datagram; a datagram that does not fit is truncated by the
  // kernel (MSG_TRUNC) and dropped, which is what CONFORMANCE.md asks for oversized input.
  static constexpr std::size_t kSlotSize = 4096;

  RecvBatch();
  ~RecvBatch();
  RecvBatch(const RecvBatch&) = delete;
  RecvBatch& operator=(const RecvBatch&) = delete;
  // Receives up to kSlots datagrams from `fd`; returns how many (0 on EAGAIN or error).
  std::size_t receive(int fd);
  Bytes data(std::size_t i) const;
  Address source(std::size_t i) const;
  bool truncated(std::size_t i) const;

 private:
  struct Storage;
  std::unique_ptr<Storage> s_;
  std::size_t last_ = 0;  // datagrams the last receive() returned
};

class SendBatch {
 public:
  static constexpr std::size_t kSlots = 64;
  static constexpr std::size_t kSlotSize = 2048;

  SendBatch();
  ~SendBatch();
  SendBatch(const SendBatch&) = delete;
  SendBatch& operator=(const SendBatch&) = delete;
  // One batch per socket: `fd` is always the same socket.
  // Queues a copy of `data` for `to`; flushes first when full. Oversized data is sent at once.
  void add(int fd, const Address& to, Bytes data);
  // Sends everything queued on `fd`.
  void flush(int fd);
  bool empty() const { return count_ == 0; }

 private:
  struct Storage;
  std::unique_ptr<Storage> s_;
  std::size_t count_ = 0;
};

// Datagrams to peers, each from its own relay socket (RFC 8656 §7.2: one socket per
// allocation). Nothing is copied: each entry points at the payload inside the datagram or
// stream message it came in with, so flush() must run before that buffer is reused (the
// worker flushes after every receive batch and after every TCP message). flush() sends the
// entries of one socket with one sendmmsg, keeping their order.
class PeerSendBatch {
 public:
  static constexpr std::size_t kSlots = 64;

  PeerSendBatch();
  ~PeerSendBatch();
  PeerSendBatch(const PeerSendBatch&) = delete;
  PeerSendBatch& operator=(const PeerSendBatch&) = delete;
  void add(int fd, const Address& to, Bytes data);
  void flush();
  bool empty() const { return count_ == 0; }

 private:
  struct Storage;
  std::unique_ptr<Storage> s_;
  std::size_t count_ = 0;
};

}  // namespace ferry::net
