// ferry-bare-relay: the floor for Ferry's CPU-per-packet benchmarks. A UDP forwarder that does
// only what a TURN relay must do to a ChannelData packet: strip or add the 4-byte header. No
// allocations, no authentication, no permissions; one thread, recvmmsg/sendmmsg batches.
//   ferry-bare-relay [--listen IP:PORT] [--relay-port PORT] [--channels N] [--seconds S]
//                    [--transport udp|tcp|tls] [--cert PEM --key PEM]
// Mapping i (channel 0x4000+i) owns a relay socket on the listen IP at port PORT+i. ChannelData
// for channel 0x4000+i arriving at the listen socket goes, header stripped, from relay socket i
// to that mapping's peer; a datagram arriving at relay socket i goes, header added, from the
// listen socket to that mapping's client. Client and peer are learnt from the sources of what
// arrives (ferry-loadgen --bare sends probes both ways first). Loopback only.
// With --transport tcp or tls the clients connect to a TCP listener on the listen address
// instead (TLS terminated with the certificate given; bare_stream.h): ChannelData is padded
// over the stream, and the datagrams of one relay socket's receive batch go to the client as
// one send() or one TLS record. The peer side stays UDP.
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cinttypes>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "bare_stream.h"
#include "client/cli_args.h"
#include "ferry/common/address.h"
#include "ferry/common/bytes.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;

void on_signal(int) {
  g_stop = 1;
}

constexpr std::size_t kBatch = 64;
constexpr std::size_t kBufferSize = 2048;
constexpr std::size_t kHeader = 4;
constexpr std::uint16_t kFirstChannel = 0x4000;
constexpr std::uint64_t kListenTag = ~std::uint64_t{0};
constexpr int kMaxRounds = 8;

struct Options {
  ferry::Address listen = *ferry::Address::parse_endpoint("127.0.0.1:3478");
  long relay_port = 0;  // 0: listen port + 1
  long channels = 1;
  long seconds = 3600;
  ferry::Transport transport = ferry::Transport::kUdp;
  std::string cert;
  std::string key;
};

struct Endpoint {
  sockaddr_storage addr{};
  socklen_t len = 0;
};

struct Mapping {
  int fd = -1;
  Endpoint client;
  Endpoint peer;
  std::size_t conn = ~std::size_t{0};  // TCP/TLS: the client's connection
};

struct Counters {
  std::uint64_t c2p = 0;
  std::uint64_t p2c = 0;
  std::uint64_t dropped = 0;  // malformed, unknown channel, or endpoint not yet learnt
};

class BareRelay {
 public:
  BareRelay()
      : bufs_(kBatch * kBufferSize),
        in_(kBatch),
        out_(kBatch),
        iov_(kBatch),
        oiov_(kBatch),
        names_(kBatch),
        ids_(kBatch) {}
  bool open(const Options& o, std::string* error);
  void run(long seconds);
  const Counters& counters() const { return n_; }

 private:
  int bind_udp(const ferry::Address& at, std::uint64_t tag, std::string* error);
  int receive(int fd, std::size_t headroom);
  void from_clients();
  void from_peer(std::size_t i);
  void forward_group(int r, std::size_t first);
  void from_stream(std::size_t conn, std::uint32_t events);
  void forward_frames(std::size_t n, std::size_t first);
  void peer_to_stream(Mapping& m, std::uint16_t channel, unsigned count);

  std::unique_ptr<ferry::bench::StreamSide> streams_;  // TCP/TLS clients; null over UDP
  const ferry::bench::Frame* frames_ = nullptr;        // the stream batch being forwarded
  std::vector<const std::uint8_t*> payloads_;
  std::vector<std::size_t> sizes_;

  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  std::vector<Mapping> maps_;
  std::vector<std::uint8_t> bufs_;
  std::vector<mmsghdr> in_, out_;
  std::vector<iovec> iov_, oiov_;
  std::vector<sockaddr_storage> names_;
  std::vector<std::size_t> ids_;
  std::array<bool, kBatch> done_{};
  std::size_t headroom_ = ~std::size_t{0};  // of the receive buffers as set up now
  std::size_t last_ = 0;                    // datagrams the last receive returned
  Counters n_;
};

int BareRelay::bind_udp(const ferry::Address& at, std::uint64_t tag, std::string* error) {
  int fd = socket(at.is_v6() ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_storage ss;
  socklen_t len = at.to_sockaddr(&ss);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    *error = "bind " + at.to_string() + ": " + std::strerror(errno);
    return -1;
  }
  int bytes = 4 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = tag;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  return fd;
}

bool BareRelay::open(const Options& o, std::string* error) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return false;
  if (o.transport == ferry::Transport::kUdp) {
    listen_fd_ = bind_udp(o.listen, kListenTag, error);
    if (listen_fd_ < 0) return false;
  } else {
    streams_ = std::make_unique<ferry::bench::StreamSide>();
    const bool tls = o.transport == ferry::Transport::kTls;
    if (!streams_->open(o.listen, epoll_fd_, kListenTag, tls ? o.cert : "", tls ? o.key : "",
                        error)) {
      return false;
    }
    payloads_.resize(kBatch);
    sizes_.resize(kBatch);
  }
  for (long i = 0; i < o.channels; ++i) {
    ferry::Address at = o.listen;
    at.set_port(static_cast<std::uint16_t>(o.relay_port + i));
    Mapping m;
    m.fd = bind_udp(at, maps_.size(), error);
    if (m.fd < 0) return false;
    maps_.push_back(m);
  }
  return true;
}

// One recvmmsg batch into the buffers, `headroom` bytes in (room for a header to add).
// The headers are built once (and the buffers moved when the headroom changes); recvmmsg
// writes back only msg_len, msg_namelen and msg_flags of what it fills, so only the last
// call's address lengths are reset: the floor should not pay for rebuilding 64 headers per
// wake-up (Ferry's RecvBatch does the same).
int BareRelay::receive(int fd, std::size_t headroom) {
  if (headroom != headroom_) {
    for (std::size_t q = 0; q < kBatch; ++q) {
      iov_[q] = {&bufs_[q * kBufferSize + headroom], kBufferSize - headroom};
      in_[q] = {};
      in_[q].msg_hdr.msg_name = &names_[q];
      in_[q].msg_hdr.msg_iov = &iov_[q];
      in_[q].msg_hdr.msg_iovlen = 1;
    }
    last_ = kBatch;
    headroom_ = headroom;
  }
  for (std::size_t q = 0; q < last_; ++q) in_[q].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
  const int r = recvmmsg(fd, in_.data(), kBatch, MSG_DONTWAIT, nullptr);
  last_ = r > 0 ? static_cast<std::size_t>(r) : 0;
  return r;
}

// Client -> peer: validate the ChannelData header, learn the client, then one sendmmsg per
// mapping present in the batch.
void BareRelay::from_clients() {
  for (int round = 0; round < kMaxRounds; ++round) {
    const int r = receive(listen_fd_, 0);
    if (r <= 0) return;
    done_.fill(false);
    for (std::size_t q = 0; q < static_cast<std::size_t>(r); ++q) {
      const std::uint8_t* p = &bufs_[q * kBufferSize];
      const std::size_t len = in_[q].msg_len;
      const std::size_t id =
          len >= kHeader ? ferry::load_be16(p) - std::size_t{kFirstChannel} : ~0u;
      if (id >= maps_.size() || kHeader + ferry::load_be16(p + 2) > len) {
        done_[q] = true;
        ++n_.dropped;
        continue;
      }
      ids_[q] = id;
      maps_[id].client = {names_[q], in_[q].msg_hdr.msg_namelen};
    }
    for (std::size_t q = 0; q < static_cast<std::size_t>(r); ++q) {
      if (!done_[q]) forward_group(r, q);
    }
    if (static_cast<std::size_t>(r) < kBatch) return;
  }
}

// Sends every packet of the batch from `first` on that belongs to first's mapping.
void BareRelay::forward_group(int r, std::size_t first) {
  Mapping& m = maps_[ids_[first]];
  unsigned count = 0;
  for (std::size_t q = first; q < static_cast<std::size_t>(r); ++q) {
    if (done_[q] || ids_[q] != ids_[first]) continue;
    done_[q] = true;
    std::uint8_t* p = &bufs_[q * kBufferSize];
    oiov_[count] = {p + kHeader, ferry::load_be16(p + 2)};
    out_[count] = {};
    out_[count].msg_hdr.msg_name = &m.peer.addr;
    out_[count].msg_hdr.msg_namelen = m.peer.len;
    out_[count].msg_hdr.msg_iov = &oiov_[count];
    out_[count].msg_hdr.msg_iovlen = 1;
    ++count;
  }
  if (m.peer.len == 0) {
    n_.dropped += count;
    return;
  }
  const int s = sendmmsg(m.fd, out_.data(), count, MSG_DONTWAIT);
  n_.c2p += s > 0 ? static_cast<unsigned>(s) : 0;
  n_.dropped += count - (s > 0 ? static_cast<unsigned>(s) : 0);
}

// Peer -> client: learn the peer, add the header in the headroom, one sendmmsg to the client.
void BareRelay::from_peer(std::size_t i) {
  Mapping& m = maps_[i];
  const auto channel = static_cast<std::uint16_t>(kFirstChannel + i);
  for (int round = 0; round < kMaxRounds; ++round) {
    const int r = receive(m.fd, kHeader);
    if (r <= 0) return;
    const auto count = static_cast<unsigned>(r);
    m.peer = {names_[count - 1], in_[count - 1].msg_hdr.msg_namelen};
    if (streams_) {
      peer_to_stream(m, channel, count);
      if (count < kBatch) return;
      continue;
    }
    for (unsigned q = 0; q < count; ++q) {
      std::uint8_t* p = &bufs_[q * kBufferSize];
      ferry::store_be16(p, channel);
      ferry::store_be16(p + 2, static_cast<std::uint16_t>(in_[q].msg_len));
      oiov_[q] = {p, kHeader + in_[q].msg_len};
      out_[q] = {};
      out_[q].msg_hdr.msg_name = &m.client.addr;
      out_[q].msg_hdr.msg_namelen = m.client.len;
      out_[q].msg_hdr.msg_iov = &oiov_[q];
      out_[q].msg_hdr.msg_iovlen = 1;
    }
    const int s = m.client.len == 0 ? 0 : sendmmsg(listen_fd_, out_.data(), count, MSG_DONTWAIT);
    n_.p2c += s > 0 ? static_cast<unsigned>(s) : 0;
    n_.dropped += count - (s > 0 ? static_cast<unsigned>(s) : 0);
    if (count < kBatch) return;
  }
}

// Peer -> client over a stream: the batch as ChannelData in one send() or one TLS record.
void BareRelay::peer_to_stream(Mapping& m, std::uint16_t channel, unsigned count) {
  for (unsigned q = 0; q < count; ++q) {
    payloads_[q] = &bufs_[q * kBufferSize + kHeader];
    sizes_[q] = in_[q].msg_len;
  }
  if (streams_->send_channel_data(m.conn, channel, payloads_.data(), sizes_.data(), count)) {
    n_.p2c += count;
  } else {
    n_.dropped += count;
  }
}

// Client -> peer over a stream: the frames of one read, in batches of kBatch, one sendmmsg
// per mapping present in a batch (as from_clients() does with datagrams).
void BareRelay::from_stream(std::size_t conn, std::uint32_t events) {
  streams_->on_event(conn, events);
  const auto& frames = streams_->frames();
  for (std::size_t first = 0; first < frames.size(); first += kBatch) {
    const std::size_t n = std::min(kBatch, frames.size() - first);
    frames_ = &frames[first];
    done_.fill(false);
    for (std::size_t q = 0; q < n; ++q) {
      const std::size_t id = frames_[q].channel - std::size_t{kFirstChannel};
      if (id >= maps_.size()) {
        done_[q] = true;
        ++n_.dropped;
        continue;
      }
      ids_[q] = id;
      maps_[id].conn = conn;
    }
    for (std::size_t q = 0; q < n; ++q) {
      if (!done_[q]) forward_frames(n, q);
    }
  }
}

void BareRelay::forward_frames(std::size_t n, std::size_t first) {
  Mapping& m = maps_[ids_[first]];
  unsigned count = 0;
  for (std::size_t q = first; q < n; ++q) {
    if (done_[q] || ids_[q] != ids_[first]) continue;
    done_[q] = true;
    oiov_[count] = {const_cast<std::uint8_t*>(frames_[q].data), frames_[q].size};
    out_[count] = {};
    out_[count].msg_hdr.msg_name = &m.peer.addr;
    out_[count].msg_hdr.msg_namelen = m.peer.len;
    out_[count].msg_hdr.msg_iov = &oiov_[count];
    out_[count].msg_hdr.msg_iovlen = 1;
    ++count;
  }
  if (m.peer.len == 0) {
    n_.dropped += count;
    return;
  }
  const int s = sendmmsg(m.fd, out_.data(), count, MSG_DONTWAIT);
  n_.c2p += s > 0 ? static_cast<unsigned>(s) : 0;
  n_.dropped += count - (s > 0 ? static_cast<unsigned>(s) : 0);
}

void BareRelay::run(long seconds) {
  const auto deadline = std::time(nullptr) + seconds;
  epoll_event ev[kBatch];
  while (!g_stop && std::time(nullptr) < deadline) {
    const int n = epoll_wait(epoll_fd_, ev, static_cast<int>(kBatch), 200);
    for (int i = 0; i < n; ++i) {
      const std::uint64_t tag = ev[i].data.u64;
      if (tag == kListenTag) {
        if (streams_) {
          streams_->accept_all();
        } else {
          from_clients();
        }
      } else if (tag >= ferry::bench::StreamSide::kTagBase) {
        from_stream(tag - ferry::bench::StreamSide::kTagBase, ev[i].events);
      } else {
        from_peer(tag);
      }
    }
  }
}

using ferry::client::parse_number;

bool parse_args(int argc, char** argv, Options* o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    const char* v = argv[i + 1];
    bool ok = false;
    if (a == "--listen") {
      auto e = ferry::Address::parse_endpoint(v);
      ok = e.has_value() && e->is_loopback() && e->port() != 0;
      if (ok) o->listen = *e;
    } else if (a == "--relay-port") {
      ok = parse_number(v, 1, 65535, &o->relay_port);
    } else if (a == "--channels") {
      ok = parse_number(v, 1, 16384, &o->channels);  // numbers 0x4000..0x7FFF
    } else if (a == "--seconds") {
      ok = parse_number(v, 1, 86400, &o->seconds);
    } else if (a == "--transport") {
      const std::string t = v;
      ok = t == "udp" || t == "tcp" || t == "tls";
      o->transport = t == "tls"   ? ferry::Transport::kTls
                     : t == "tcp" ? ferry::Transport::kTcp
                                  : ferry::Transport::kUdp;
    } else if (a == "--cert") {
      o->cert = v;
      ok = true;
    } else if (a == "--key") {
      o->key = v;
      ok = true;
    }
    if (!ok) return false;
  }
  if (argc % 2 == 0) return false;
  if (o->relay_port == 0) o->relay_port = o->listen.port() + 1;
  if (o->transport == ferry::Transport::kTls && (o->cert.empty() || o->key.empty())) return false;
  return o->relay_port + o->channels - 1 <= 65535;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse_args(argc, argv, &o)) {
    std::fprintf(stderr,
                 "usage: ferry-bare-relay [--listen IP:PORT] [--relay-port PORT] [--channels N]"
                 " [--seconds S]\n                        [--transport udp|tcp|tls]"
                 " [--cert PEM --key PEM]\n  loopback only; defaults 127.0.0.1:3478, listen"
                 " port + 1, 1, 3600, udp; tls needs --cert and --key\n");
    return 2;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  BareRelay relay;
  std::string error;
  if (!relay.open(o, &error)) {
    std::fprintf(stderr, "ferry-bare-relay: %s\n", error.c_str());
    return 1;
  }
  std::printf("bare relay on %s, relay ports %ld..%ld\n", o.listen.to_string().c_str(),
              o.relay_port, o.relay_port + o.channels - 1);
  std::fflush(stdout);
  relay.run(o.seconds);
  const Counters& n = relay.counters();
  std::printf("relayed c2p=%" PRIu64 " p2c=%" PRIu64 " dropped=%" PRIu64 "\n", n.c2p, n.p2c,
              n.dropped);
  return 0;
}
