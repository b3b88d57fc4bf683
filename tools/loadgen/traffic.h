// ferry-loadgen's data plane: one thread, one epoll set over the client sockets and the peer
// socket, batches through sendmmsg/recvmmsg. Paced at a fixed rate (ticks of at most a
// millisecond) or flat out; stamps every payload and measures the latency on arrival.
// Over TCP and TLS (--transport) each client socket is a Stream (loadgen/stream.h): the
// messages a socket is due in a tick are queued (over TLS one record each) and leave in one
// send(); what arrives is cut into frames before it is counted.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "loadgen/options.h"
#include "loadgen/sessions.h"
#include "loadgen/stats.h"
#include "loadgen/stream.h"
#include "loadgen/wire.h"

namespace ferry::loadgen {

struct TrafficResult {
  DirectionStats c2p;
  DirectionStats p2c;
  double send_seconds = 0;    // from the first send to the last
  std::uint64_t foreign = 0;  // datagrams without our stamp (responses, stray probes)
  // Over TCP or TLS (--transport): the streams' counters, the output still unsent when the
  // drain ended (counted as sent, so it shows as lost), and the TLS version and cipher.
  StreamCounters stream;
  std::uint64_t unsent_bytes = 0;
  std::string tls;
};

class Traffic {
 public:
  Traffic(const Options& o, std::vector<Session>& sessions, int peer_fd, const Address& peer);
  ~Traffic();
  Traffic(const Traffic&) = delete;
  Traffic& operator=(const Traffic&) = delete;

  bool ok() const { return epoll_fd_ >= 0; }
  // Sends for the configured time, then waits for packets in flight. Ends the data phase:
  // stream sockets are back in blocking use afterwards (Refresh 0 goes through them).
  TrafficResult run();

 private:
  static constexpr std::size_t kBatch = 64;
  static constexpr std::size_t kBufferSize = 2048;

  bool send_due(std::uint64_t elapsed_ns);
  void send_c2p(std::size_t k);
  void send_c2p_on(Session& s, std::uint32_t index, std::size_t m);
  void send_c2p_stream(Session& s, std::uint32_t index, std::size_t m);
  void flush_streams();
  void drain_stream(std::uint32_t index);
  void end_streams();
  void send_p2c(std::size_t k);
  void account_sent(int d, std::size_t batch, int result);
  void fill_payload(std::uint8_t* at, Direction d, std::uint32_t index, std::uint64_t now);
  void poll_events(int timeout_ms);
  void drain(int fd, bool peer, std::uint32_t index);
  void account(Bytes payload, Direction expected, const sockaddr_storage* from, std::uint32_t index,
               std::uint64_t now);
  bool all_arrived() const;

  const Options& o_;
  std::vector<Session>& sessions_;
  int peer_fd_;
  Address peer_;
  int epoll_fd_ = -1;
  TrafficResult r_;
  std::uint64_t seq_[2] = {0, 0};
  std::size_t cursor_[2] = {0, 0};
  std::uint64_t attempted_[2] = {0, 0};
  std::uint64_t tid_ = 0;
  std::vector<std::uint8_t> buffers_;  // kBatch buffers of kBufferSize
  std::vector<iovec> iov_;
  std::vector<mmsghdr> msgs_;
  std::vector<sockaddr_storage> names_;           // sources of what the peer receives
  std::vector<std::unique_ptr<Stream>> streams_;  // per session, over TCP/TLS; else empty
  std::vector<std::uint32_t> unflushed_;          // streams with output the socket refused
  std::vector<bool> is_unflushed_;
};

}  // namespace ferry::loadgen
