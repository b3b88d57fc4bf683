#include "loadgen/cycles.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <string>
#include <vector>

#include "client/client_socket.h"
#include "client/turn_client.h"
#include "loadgen/sessions.h"
#include "loadgen/wire.h"

namespace ferry::loadgen {

namespace {

using client::ClientSocket;
using client::TurnClient;

constexpr std::uint16_t kFirstChannel = 0x4000;  // RFC 8656 §12: 0x4000..0x4FFF
constexpr std::uint16_t kChannels = 0x1000;
constexpr int kDataWaitMs = 2000;  // per direction and cycle, for all of its packets

enum Step { kOpen, kAllocate, kPermission, kChannelBind, kC2p, kP2c, kRefresh, kDelete, kSteps };
constexpr const char* kStepNames[kSteps] = {"open", "allocate", "permission", "channel_bind",
                                            "c2p",  "p2c",      "refresh",    "delete"};

struct Tally {
  long ok = 0;
  long failed = 0;
  long failed_at[kSteps] = {};
  std::string first_error;
  std::uint64_t c2p_sent = 0;
  std::uint64_t c2p_received = 0;
  std::uint64_t p2c_sent = 0;
  std::uint64_t p2c_received = 0;
  std::uint64_t stale = 0;  // stamped datagrams of another cycle, or foreign ones: ignored
};

double seconds_since(std::uint64_t start_ns) {
  return static_cast<double>(now_ns() - start_ns) / 1e9;
}

int ms_left(std::uint64_t deadline_ns) {
  const std::uint64_t now = now_ns();
  return now >= deadline_ns ? 0 : static_cast<int>((deadline_ns - now) / 1000000 + 1);
}

// The stamp of packet `seq` of cycle `cycle` in direction `d`, over the first kStampSize bytes.
void stamp(std::vector<std::uint8_t>* payload, Direction d, long cycle, int seq) {
  Stamp s;
  s.direction = d;
  s.allocation = static_cast<std::uint32_t>(cycle);
  s.seq = static_cast<std::uint64_t>(seq);
  s.sent_ns = now_ns();
  write_stamp(payload->data(), s);
}

// True if `payload` is packet `seq` (< packets, not seen yet) of this cycle and direction.
bool expected(Bytes payload, Direction d, long cycle, int packets, std::uint64_t* seen) {
  Stamp s;
  if (!read_stamp(payload, &s) || s.direction != d ||
      s.allocation != static_cast<std::uint32_t>(cycle) ||
      s.seq >= static_cast<std::uint64_t>(packets) || (*seen >> s.seq & 1) != 0) {
    return false;
  }
  *seen |= std::uint64_t{1} << s.seq;
  return true;
}

class Cycler {
 public:
  Cycler(const Options& o, int peer_fd, const Address& peer)
      : o_(o), peer_fd_(peer_fd), peer_(peer), payload_(static_cast<std::size_t>(o.size)) {
    for (std::size_t i = 0; i < payload_.size(); ++i) payload_[i] = static_cast<std::uint8_t>(i);
  }

  void run_one(long cycle, Tally* t) {
    std::string error;
    auto sock = ClientSocket::open(o_.transport, o_.server, &error, &o_.source);
    if (!sock) {
      fail(t, kOpen, error);
      return;
    }
    if (is_stream(o_.transport)) {
      // As WebRTC stacks do: without it the Send indication and ChannelData written back to
      // back wait for a delayed ACK (40 ms a cycle on loopback).
      const int one = 1;
      (void)setsockopt(sock->fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    TurnClient c(std::move(*sock));
    const auto lifetime = static_cast<std::uint32_t>(o_.lifetime);
    auto a = c.allocate(o_.user, o_.password, lifetime);
    if (!a.ok) {
      fail(t, kAllocate, describe("Allocate", a));
      return;
    }
    const auto channel = static_cast<std::uint16_t>(kFirstChannel + cycle % kChannels);
    Step failed = kSteps;
    std::string why;
    auto st = c.create_permission(peer_);
    if (!st.ok) {
      failed = kPermission;
      why = describe("CreatePermission", st);
    }
    if (failed == kSteps) {
      st = c.channel_bind(channel, peer_);
      if (!st.ok) {
        failed = kChannelBind;
        why = describe("ChannelBind", st);
      }
    }
    if (failed == kSteps && !client_to_peer(c, channel, a.relayed, cycle, t, &why)) failed = kC2p;
    if (failed == kSteps && !peer_to_client(c, channel, a.relayed, cycle, t, &why)) failed = kP2c;
    if (failed == kSteps) {
      auto r = c.refresh(lifetime);
      if (!r.ok || r.lifetime == 0) {
        failed = kRefresh;
        why = describe("Refresh", r);
      }
    }
    // Deleted whatever happened above, so one failure does not leave an allocation behind.
    auto d = c.refresh(0);
    if (failed == kSteps && (!d.ok || d.error_code != 0)) {
      failed = kDelete;
      why = describe("Refresh 0", d);
    }
    if (failed != kSteps) {
      fail(t, failed, why);
    } else {
      ++t->ok;
    }
  }

 private:
  void fail(Tally* t, Step step, const std::string& why) {
    ++t->failed;
    ++t->failed_at[step];
    if (t->first_error.empty()) t->first_error = std::string(kStepNames[step]) + ": " + why;
  }

  bool client_to_peer(TurnClient& c, std::uint16_t channel, const Address& relayed, long cycle,
                      Tally* t, std::string* why) {
    const int packets = static_cast<int>(o_.packets);
    for (int i = 0; i < packets; ++i) {
      stamp(&payload_, Direction::kC2p, cycle, i);
      const bool sent =
          i == 0 ? c.send_indication(peer_, payload_) : c.send_channel_data(channel, payload_);
      if (!sent) {
        *why = "local send failed";
        return false;
      }
      ++t->c2p_sent;
    }
    std::uint64_t seen = 0;
    int got = 0;
    const std::uint64_t deadline = now_ns() + kDataWaitMs * 1000000ULL;
    std::uint8_t buf[2048];
    while (got < packets) {
      pollfd p{peer_fd_, POLLIN, 0};
      if (poll(&p, 1, ms_left(deadline)) <= 0) break;
      sockaddr_storage ss;
      socklen_t len = sizeof ss;
      const ssize_t n =
          recvfrom(peer_fd_, buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&ss), &len);
      if (n < 0) continue;
      const Address from = Address::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
      if (from == relayed && expected(Bytes(buf, static_cast<std::size_t>(n)), Direction::kC2p,
                                      cycle, packets, &seen)) {
        ++got;
        ++t->c2p_received;
      } else {
        ++t->stale;
      }
    }
    if (got < packets) {
      *why = std::to_string(got) + " of " + std::to_string(packets) + " packets reached the peer";
      return false;
    }
    return true;
  }

  bool peer_to_client(TurnClient& c, std::uint16_t channel, const Address& relayed, long cycle,
                      Tally* t, std::string* why) {
    const int packets = static_cast<int>(o_.packets);
    sockaddr_storage to;
    const socklen_t to_len = relayed.to_sockaddr(&to);
    for (int i = 0; i < packets; ++i) {
      stamp(&payload_, Direction::kP2c, cycle, i);
      if (sendto(peer_fd_, payload_.data(), payload_.size(), 0, reinterpret_cast<sockaddr*>(&to),
                 to_len) != static_cast<ssize_t>(payload_.size())) {
        *why = "peer send failed";
        return false;
      }
      ++t->p2c_sent;
    }
    std::uint64_t seen = 0;
    int got = 0;
    const std::uint64_t deadline = now_ns() + kDataWaitMs * 1000000ULL;
    while (got < packets) {
      const int left = ms_left(deadline);
      if (left <= 0) break;
      auto d = c.receive_data(std::chrono::milliseconds(left));
      if (!d) break;
      if (d->via_channel && d->channel == channel && d->peer == peer_ &&
          expected(d->data, Direction::kP2c, cycle, packets, &seen)) {
        ++got;
        ++t->p2c_received;
      } else {
        ++t->stale;
      }
    }
    if (got < packets) {
      *why = std::to_string(got) + " of " + std::to_string(packets) +
             " packets reached the client as ChannelData";
      return false;
    }
    return true;
  }

  const Options& o_;
  int peer_fd_;
  Address peer_;
  std::vector<std::uint8_t> payload_;
};

const char* socket_kind(Transport t) {
  return t == Transport::kTls ? "tls" : t == Transport::kTcp ? "tcp" : "udp";
}

}  // namespace

int run_cycles(const Options& o) {
  Address peer;
  std::string error;
  const int peer_fd = open_peer_socket(o.source, &peer, &error);
  if (peer_fd < 0) {
    std::fprintf(stderr, "ferry-loadgen: %s\n", error.c_str());
    return 1;
  }
  std::printf("cycle server=%s transport=%s source=%s count=%ld packets=%ld size=%ld\n",
              o.server.to_string().c_str(), socket_kind(o.transport), o.source.to_string().c_str(),
              o.count, o.packets, o.size);
  std::fflush(stdout);
  Cycler cycler(o, peer_fd, peer);
  Tally t;
  const std::uint64_t t0 = now_ns();
  const auto limit = static_cast<double>(o.seconds);
  long attempted = 0;
  for (; attempted < o.count && t.failed < kMaxCycleFailures && seconds_since(t0) < limit;
       ++attempted) {
    cycler.run_one(attempted, &t);
  }
  const double elapsed = seconds_since(t0);
  close(peer_fd);
  std::printf("attempted=%ld ok=%ld failed=%ld seconds=%.3f rate=%.1f/s c2p_sent=%" PRIu64
              " c2p_received=%" PRIu64 " p2c_sent=%" PRIu64 " p2c_received=%" PRIu64
              " stale=%" PRIu64 "\n",
              attempted, t.ok, t.failed, elapsed, static_cast<double>(attempted) / elapsed,
              t.c2p_sent, t.c2p_received, t.p2c_sent, t.p2c_received, t.stale);
  if (t.failed != 0) {
    std::printf("failed_at");
    for (int s = 0; s < kSteps; ++s) std::printf(" %s=%ld", kStepNames[s], t.failed_at[s]);
    std::printf("\nfirst_error=%s\n", t.first_error.c_str());
  }
  return t.failed == 0 && attempted == o.count ? 0 : 1;
}

}  // namespace ferry::loadgen
