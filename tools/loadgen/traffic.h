// ferry-loadgen's data plane: one thread, one epoll set over the client sockets and the peer
// socket, batches through sendmmsg/recvmmsg. Paced at a fixed rate (ticks of at most a
// millisecond) or flat out; stamps every payload and measures the latency on arrival.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <vector>

#include "loadgen/options.h"
#include "loadgen/sessions.h"
#include "loadgen/stats.h"
#include "loadgen/wire.h"

namespace ferry::loadgen {

struct TrafficResult {
  DirectionStats c2p;
  DirectionStats p2c;
  double send_seconds = 0;    // from the first send to the last
  std::uint64_t foreign = 0;  // datagrams without our stamp (responses, stray probes)
};

class Traffic {
 public:
  Traffic(const Options& o, std::vector<Session>& sessions, int peer_fd, const Address& peer);
  ~Traffic();
  Traffic(const Traffic&) = delete;
  Traffic& operator=(const Traffic&) = delete;

  bool ok() const { return epoll_fd_ >= 0; }
  TrafficResult run();

 private:
  static constexpr std::size_t kBatch = 64;
  static constexpr std::size_t kBufferSize = 2048;

  bool send_due(std::uint64_t elapsed_ns);
  void send_c2p(std::size_t k);
  void send_c2p_on(Session& s, std::uint32_t index, std::size_t m);
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
  std::vector<sockaddr_storage> names_;  // sources of what the peer receives
};

}  // namespace ferry::loadgen
