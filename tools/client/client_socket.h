// A blocking client socket for Ferry's tools and integration tests: UDP or TCP, with timeouts,
// and message framing for TCP so callers always receive whole STUN/ChannelData messages.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ferry/common/address.h"
#include "ferry/common/bytes.h"
#include "ferry/common/time.h"

namespace ferry::client {

class ClientSocket {
 public:
  // Connects (TCP) or binds and connects (UDP) to `server`; `local` may fix the source address.
  static std::optional<ClientSocket> open(Transport t, const Address& server, std::string* error,
                                          const Address* local = nullptr);
  ClientSocket(ClientSocket&& o) noexcept;
  ClientSocket& operator=(ClientSocket&& o) noexcept;
  ClientSocket(const ClientSocket&) = delete;
  ClientSocket& operator=(const ClientSocket&) = delete;
  ~ClientSocket();

  bool send(Bytes data);
  // One whole message (a datagram, or one framed message from the stream); nullopt on timeout,
  // error or a closed stream.
  std::optional<std::vector<std::uint8_t>> receive(Millis timeout);
  Address local() const { return local_; }
  Address remote() const { return remote_; }
  Transport transport() const { return transport_; }
  int fd() const { return fd_; }

 private:
  ClientSocket() = default;
  int fd_ = -1;
  Transport transport_ = Transport::kUdp;
  Address local_;
  Address remote_;
  std::vector<std::uint8_t> stream_buf_;
};

}  // namespace ferry::client
