// ferry-bare-relay's client side over TCP or TLS: the floor for TURN-over-TLS (and TCP)
// benchmarks. Accepts connections on one listening socket, terminates TLS (OpenSSL, the
// certificate given), cuts each connection's bytes into ChannelData frames (padded to 4 over
// streams, RFC 8656 §12.5) and hands them to the relay; writes ChannelData from the relay to
// a connection as one SSL_write (one record, up to 16 KB) or one send() per batch; reads TLS
// with read-ahead (many records per recv()). No STUN, no authentication, no limits: a
// benchmark tool on loopback. Non-blocking; output the socket refuses waits in a buffer and
// leaves on EPOLLOUT.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ferry/common/address.h"

struct ssl_st;
struct ssl_ctx_st;

namespace ferry::bench {

// One ChannelData message from a client; `data` points into the connection's input buffer and
// is valid until the next call into the StreamSide.
struct Frame {
  std::uint16_t channel = 0;
  const std::uint8_t* data = nullptr;
  std::size_t size = 0;
};

class StreamSide {
 public:
  // Epoll tags of the connections: kTagBase + connection number.
  static constexpr std::uint64_t kTagBase = std::uint64_t{1} << 62;

  StreamSide() = default;
  ~StreamSide();
  StreamSide(const StreamSide&) = delete;
  StreamSide& operator=(const StreamSide&) = delete;

  // Listens on `at` (TCP), registering the listening socket in `epoll_fd` with `listen_tag`.
  // With `cert` and `key` set, every connection is TLS.
  bool open(const Address& at, int epoll_fd, std::uint64_t listen_tag, const std::string& cert,
            const std::string& key, std::string* error);
  void accept_all();
  // Handles epoll `events` on connection `conn` (tag - kTagBase); the frames that arrived are
  // in frames() afterwards (empty if none).
  void on_event(std::size_t conn, std::uint32_t events);
  const std::vector<Frame>& frames() const { return frames_; }
  // Appends ChannelData (header, payload, padding) for each payload to connection `conn`'s
  // output and writes it all at once. False if the connection is gone.
  bool send_channel_data(std::size_t conn, std::uint16_t channel, const std::uint8_t* const* data,
                         const std::size_t* sizes, std::size_t count);

 private:
  struct Connection {
    int fd = -1;
    ssl_st* ssl = nullptr;
    bool handshaking = false;
    bool want_out = false;  // EPOLLOUT registered
    std::vector<std::uint8_t> in;
    std::vector<std::uint8_t> out;  // plaintext not yet taken by SSL_write / send()
  };
  bool read_some(Connection& c);
  void parse_frames(std::size_t conn);
  void release_frames();
  bool flush(std::size_t conn);
  void watch(std::size_t conn, bool out);
  void close_connection(std::size_t conn);

  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  ssl_ctx_st* ctx_ = nullptr;
  std::vector<Connection> conns_;  // by connection number; closed ones have fd -1
  std::vector<Frame> frames_;
  std::size_t last_ = ~std::size_t{0};  // the connection frames_ came from
  std::size_t consumed_ = 0;            // bytes of its input that frames_ cover
};

}  // namespace ferry::bench
