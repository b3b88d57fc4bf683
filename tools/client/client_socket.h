// A blocking client socket for Ferry's tools and integration tests: UDP or TCP, with timeouts,
// and message framing for TCP so callers always receive whole STUN/ChannelData messages.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ferry/common/address.h"
#include "ferry/common/bytes.h"
#include "ferry/common/time.h"

struct ssl_ctx_st;
struct ssl_st;

namespace ferry::client {

class ClientSocket {
 public:
  // Connects (TCP, TLS) or binds and connects (UDP, DTLS) to `server`; `local` may fix the
  // source address. TLS and DTLS offer ALPN "stun.turn" (RFC 7443) and do not verify the
  // server's certificate: a test and diagnostics client, talking to servers with made-up
  // certificates.
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
  // TLS/DTLS: sends close_notify (the session ends; the socket stays open).
  void shutdown_tls();
  // The ALPN protocol the TLS server chose, "" if none (or not TLS).
  std::string alpn() const;
  // SHA-256 of the server's certificate (DER), hex; "" if none (or not TLS/DTLS).
  std::string peer_certificate_sha256() const;
  Address local() const { return local_; }
  Address remote() const { return remote_; }
  Transport transport() const { return transport_; }
  int fd() const { return fd_; }
  // The TLS/DTLS session, nullptr for UDP and TCP. For a caller that takes over the data phase
  // of an established connection (ferry-loadgen's non-blocking relay traffic).
  ssl_st* tls_session() const { return tls_; }

 private:
  ClientSocket() = default;
  bool start_tls(std::string* error);
  bool start_dtls(std::string* error);
  std::optional<std::vector<std::uint8_t>> receive_dtls(TimePoint deadline, std::uint8_t* buf,
                                                        std::size_t size);
  // Reads what is available into stream_buf_; false on a closed stream or an error.
  bool read_some(std::uint8_t* buf, std::size_t size);
  int fd_ = -1;
  ssl_ctx_st* tls_ctx_ = nullptr;
  ssl_st* tls_ = nullptr;
  Transport transport_ = Transport::kUdp;
  Address local_;
  Address remote_;
  std::vector<std::uint8_t> stream_buf_;
};

}  // namespace ferry::client
