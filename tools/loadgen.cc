// ferry-loadgen: a load generator for TURN servers (RFC 8656) on loopback, for Ferry's
// benchmarks (tests/bench/run.sh, BENCHMARKS.md).
//   ferry-loadgen relay|allocate|hold|cycle [options]   (ferry-loadgen --help lists them)
// Every socket is bound to --source (default 127.0.0.2), so the generator's ports never
// collide with the server's relay ports on 127.0.0.1. Runs are bounded by count and time.
// Exit status: 0 success; 1 a setup or transaction failure; 2 usage; 3 relay mode lost packets.
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "client/turn_client.h"
#include "loadgen/cycles.h"
#include "loadgen/options.h"
#include "loadgen/sessions.h"
#include "loadgen/traffic.h"
#include "loadgen/wire.h"

namespace {

using namespace ferry::loadgen;
using ferry::Transport;
using ferry::client::ClientSocket;
using ferry::client::TurnClient;

constexpr int kSyncTimeoutMs = 120000;     // a script that stops answering does not hang us
constexpr long kPermissionLifetime = 300;  // RFC 8656 §9

double seconds_since(std::uint64_t start_ns) {
  return static_cast<double>(now_ns() - start_ns) / 1e9;
}

// With --sync: announce a phase boundary and wait (bounded) for any line on stdin.
void sync_point(const Options& o, const char* label) {
  if (!o.sync) return;
  std::printf("sync %s\n", label);
  std::fflush(stdout);
  const std::uint64_t deadline = now_ns() + kSyncTimeoutMs * 1000000ULL;
  for (;;) {
    const auto left = static_cast<std::int64_t>(deadline - now_ns()) / 1000000;
    pollfd p{STDIN_FILENO, POLLIN, 0};
    if (left <= 0 || poll(&p, 1, static_cast<int>(left)) <= 0) return;
    char c = 0;
    if (read(STDIN_FILENO, &c, 1) != 1 || c == '\n') return;
  }
}

const char* framing_name(Framing f) {
  return f == Framing::kChannel ? "channel" : "send";
}

void print_relay_result(const Options& o, const TrafficResult& r) {
  std::uint64_t delivered = 0;
  if (o.c2p) {
    print_direction(stdout, "c2p", r.c2p);
    delivered += r.c2p.received;
  }
  if (o.p2c) {
    print_direction(stdout, "p2c", r.p2c);
    delivered += r.p2c.received;
  }
  std::printf("delivered=%" PRIu64 " send_seconds=%.3f delivered_pps=%.0f foreign=%" PRIu64 "\n",
              delivered, r.send_seconds, static_cast<double>(delivered) / r.send_seconds,
              r.foreign);
  if (!ferry::is_stream(o.transport)) return;
  // Over TLS: how the server cut what it relayed to us into records (records in during the
  // data phase per ChannelData received); ours are one record per message.
  std::printf("stream transport=%s closed=%" PRIu64 " unsent_bytes=%" PRIu64,
              o.transport == Transport::kTls ? "tls" : "tcp", r.stream.closed, r.unsent_bytes);
  if (o.transport == Transport::kTls) {
    const double per_record =
        r.stream.records_in == 0
            ? 0.0
            : static_cast<double>(r.p2c.received) / static_cast<double>(r.stream.records_in);
    std::printf(" tls=\"%s\" records_out=%" PRIu64 " records_in=%" PRIu64
                " p2c_messages_per_record=%.2f",
                r.tls.c_str(), r.stream.records_out, r.stream.records_in, per_record);
  }
  std::printf("\n");
}

// The generator's peer socket, or -1 after saying why.
int open_peer_or_report(const Options& o, ferry::Address* peer) {
  std::string error;
  const int fd = open_peer_socket(o.source, peer, &error);
  if (fd < 0) std::fprintf(stderr, "ferry-loadgen: %s\n", error.c_str());
  return fd;
}

int run_relay(const Options& o) {
  ferry::Address peer;
  const int peer_fd = open_peer_or_report(o, &peer);
  if (peer_fd < 0) return 1;
  std::string error;
  std::printf(
      "relay server=%s transport=%s bare=%s framing=%s size=%ld allocations=%ld rate=%ld "
      "seconds=%ld\n",
      o.server.to_string().c_str(), std::string(ferry::transport_name(o.transport)).c_str(),
      o.bare ? "yes" : "no", framing_name(o.framing), o.size, o.allocations, o.rate, o.seconds);
  sync_point(o, "setup");
  Fleet fleet(o, peer_fd, peer);
  const std::uint64_t t0 = now_ns();
  const auto n = static_cast<std::size_t>(o.allocations);
  if (!(o.bare ? fleet.open_bare(n, &error) : fleet.open_turn(n, &error))) {
    std::fprintf(stderr, "ferry-loadgen: %s\n", error.c_str());
    return 1;
  }
  std::printf("setup_seconds=%.3f\n", seconds_since(t0));
  Traffic traffic(o, fleet.sessions(), peer_fd, peer);
  if (!traffic.ok()) {
    std::fprintf(stderr, "ferry-loadgen: epoll setup failed\n");
    return 1;
  }
  sync_point(o, "start");
  const TrafficResult r = traffic.run();
  sync_point(o, "end");
  print_relay_result(o, r);
  std::size_t delete_failures = 0;
  if (o.keep) {
    fleet.abandon();
  } else {
    delete_failures = fleet.close();
  }
  std::printf("delete_failures=%zu\n", delete_failures);
  close(peer_fd);
  if (delete_failures != 0) return 1;
  return r.c2p.lost() + r.p2c.lost() == 0 ? 0 : 3;
}

struct AllocateTally {
  long ok = 0;
  long failed = 0;
  long delete_failures = 0;
  std::string first_error;
};

// One full Allocate from a fresh socket (a new 5-tuple): the unauthenticated request and its
// 401, the authenticated Allocate, then Refresh 0 unless the allocation is to be kept.
void one_allocate(const Options& o, std::vector<std::unique_ptr<TurnClient>>* kept,
                  AllocateTally* t) {
  std::string error;
  auto sock = ClientSocket::open(Transport::kUdp, o.server, &error, &o.source);
  if (!sock) {
    ++t->failed;
    if (t->first_error.empty()) t->first_error = error;
    return;
  }
  auto c = std::make_unique<TurnClient>(std::move(*sock));
  auto r = c->allocate(o.user, o.password, static_cast<std::uint32_t>(o.lifetime));
  if (!r.ok) {
    ++t->failed;
    if (t->first_error.empty()) t->first_error = describe("Allocate", r);
    return;
  }
  ++t->ok;
  if (o.keep) {
    kept->push_back(std::move(c));  // the socket stays open: its 5-tuple is not reused
  } else if (!c->refresh(0).ok) {
    ++t->delete_failures;
  }
}

int run_allocate(const Options& o) {
  std::vector<std::unique_ptr<TurnClient>> kept;
  AllocateTally t;
  std::printf("allocate server=%s count=%ld keep=%s\n", o.server.to_string().c_str(), o.count,
              o.keep ? "yes" : "no");
  sync_point(o, "start");
  const std::uint64_t t0 = now_ns();
  const auto limit = static_cast<double>(o.seconds);
  long attempted = 0;
  for (; attempted < o.count && seconds_since(t0) < limit; ++attempted) one_allocate(o, &kept, &t);
  const double elapsed = seconds_since(t0);
  sync_point(o, "end");
  std::printf("attempted=%ld ok=%ld failed=%ld delete_failures=%ld seconds=%.3f rate=%.1f/s\n",
              attempted, t.ok, t.failed, t.delete_failures, elapsed,
              static_cast<double>(attempted) / elapsed);
  if (!t.first_error.empty()) std::printf("first_error=%s\n", t.first_error.c_str());
  return t.failed == 0 && t.delete_failures == 0 ? 0 : 1;
}

// Sleeps until `until_ns` (CLOCK_MONOTONIC) in slices, so a signal-free wait stays bounded.
void sleep_until(std::uint64_t until_ns) {
  for (std::uint64_t now = now_ns(); now < until_ns; now = now_ns()) {
    const auto ms = std::min<std::uint64_t>((until_ns - now) / 1000000 + 1, 1000);
    poll(nullptr, 0, static_cast<int>(ms));
  }
}

int run_hold(const Options& o) {
  ferry::Address peer;
  const int peer_fd = open_peer_or_report(o, &peer);
  if (peer_fd < 0) return 1;
  std::string error;
  std::printf("hold server=%s allocations=%ld seconds=%ld\n", o.server.to_string().c_str(),
              o.allocations, o.seconds);
  sync_point(o, "setup");
  Fleet fleet(o, peer_fd, peer);
  std::uint64_t t0 = now_ns();
  if (!fleet.open_turn(static_cast<std::size_t>(o.allocations), &error)) {
    std::fprintf(stderr, "ferry-loadgen: %s\n", error.c_str());
    return 1;
  }
  std::printf("setup_seconds=%.3f\n", seconds_since(t0));
  sync_point(o, "start");
  // Refresh at half the shortest lifetime: the allocation's, or the permission's.
  const std::uint64_t interval_ns =
      static_cast<std::uint64_t>(std::min(o.lifetime, kPermissionLifetime)) * 500000000ULL;
  t0 = now_ns();
  const std::uint64_t end = t0 + static_cast<std::uint64_t>(o.seconds) * 1000000000ULL;
  std::size_t refreshes = 0;
  std::size_t refresh_failures = 0;
  for (std::uint64_t next = t0 + interval_ns; next < end; next += interval_ns) {
    sleep_until(next);
    refresh_failures += fleet.refresh();
    ++refreshes;
  }
  sleep_until(end);
  sync_point(o, "end");
  const std::size_t delete_failures = fleet.close();
  std::printf("held=%ld refresh_rounds=%zu refresh_failures=%zu delete_failures=%zu\n",
              o.allocations, refreshes, refresh_failures, delete_failures);
  close(peer_fd);
  return refresh_failures == 0 && delete_failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  bool help = false;
  std::string error;
  if (!parse_options(argc, argv, &o, &help, &error)) {
    std::fprintf(stderr, "ferry-loadgen: %s\n", error.c_str());
    print_usage(stderr);
    return 2;
  }
  if (help) {
    print_usage(stdout);
    return 0;
  }
  std::signal(SIGPIPE, SIG_IGN);
  raise_fd_limit();
  switch (o.mode) {
    case Mode::kRelay:
      return run_relay(o);
    case Mode::kAllocate:
      return run_allocate(o);
    case Mode::kHold:
      return run_hold(o);
    case Mode::kCycle:
      return run_cycles(o);
  }
  return 2;
}
