// ferry-udp-peer: a UDP echo peer for TURN tests: every datagram goes straight back to its
// sender (for a relayed packet, the allocation's relayed address).
//   ferry-udp-peer [-L IP] [-p PORT] [--count N] [--seconds S]
// Prints "listening on IP:PORT" first (flushed, so tests can pass -p 0 and read the port), then
// exits after S seconds (default 60) or N datagrams (default: no limit), or on SIGINT/SIGTERM,
// printing how many datagrams it echoed.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "client/cli_args.h"
#include "ferry/common/address.h"
#include "ferry/common/time.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;  // set by SIGINT/SIGTERM; poll() returns EINTR

void on_signal(int) {
  g_stop = 1;
}

struct Options {
  std::string ip = "127.0.0.1";
  long port = 0;
  long count = 0;  // 0: no limit
  long seconds = 60;
};

int usage(FILE* out, int status) {
  std::fprintf(out,
               "usage: ferry-udp-peer [-L IP] [-p PORT] [--count N] [--seconds S]\n"
               "Echoes every UDP datagram back to its sender. Prints the address it bound\n"
               "(-p 0, the default, picks a free port), exits after S seconds (default 60,\n"
               "at most 86400) or N datagrams (default: no limit). Default IP 127.0.0.1.\n");
  return status;
}

using ferry::client::parse_number;

// False on a usage error; sets *help for -h.
bool parse_args(int argc, char** argv, Options* o, bool* help) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      *help = true;
      return true;
    }
    if (i + 1 >= argc) return false;
    const char* v = argv[++i];
    bool ok = false;
    if (a == "-L" || a == "--listen") {
      o->ip = v;
      ok = true;
    } else if (a == "-p" || a == "--port") {
      ok = parse_number(v, 0, 65535, &o->port);
    } else if (a == "--count" || a == "-n") {
      ok = parse_number(v, 0, 1000000000L, &o->count);
    } else if (a == "--seconds" || a == "-s") {
      ok = parse_number(v, 1, 86400, &o->seconds);
    }
    if (!ok) return false;
  }
  return true;
}

int bind_socket(const ferry::Address& at, ferry::Address* bound) {
  int fd = socket(at.is_v6() ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_storage ss;
  socklen_t len = at.to_sockaddr(&ss);
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    int saved = errno;  // for the caller's message
    close(fd);
    errno = saved;
    return -1;
  }
  len = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  *bound = ferry::Address::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
  return fd;
}

struct Totals {
  long datagrams = 0;
  long long bytes = 0;
};

// Echoes until the deadline, the datagram limit or a signal.
Totals echo(int fd, const Options& o) {
  Totals t;
  const auto deadline = ferry::Clock::now() + ferry::Seconds(o.seconds);
  static std::uint8_t buf[65536];
  while (!g_stop && (o.count == 0 || t.datagrams < o.count)) {
    auto left = std::chrono::ceil<ferry::Millis>(deadline - ferry::Clock::now()).count();
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(left));
    if (r <= 0) continue;  // timeout (loop ends) or EINTR (g_stop checked)
    sockaddr_storage from;
    socklen_t flen = sizeof from;
    ssize_t n = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &flen);
    if (n < 0) continue;  // e.g. an ICMP error for an earlier echo
    // A failed echo (peer gone) is not fatal: the next datagram may come from elsewhere.
    sendto(fd, buf, static_cast<std::size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), flen);
    ++t.datagrams;
    t.bytes += n;
  }
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  bool help = false;
  if (!parse_args(argc, argv, &o, &help)) return usage(stderr, 2);
  if (help) return usage(stdout, 0);
  auto at = ferry::Address::parse_ip(o.ip, static_cast<std::uint16_t>(o.port));
  if (!at) {
    std::fprintf(stderr, "ferry-udp-peer: bad IP address %s\n", o.ip.c_str());
    return 2;
  }
  ferry::Address bound;
  int fd = bind_socket(*at, &bound);
  if (fd < 0) {
    std::fprintf(stderr, "ferry-udp-peer: bind %s: %s\n", at->to_string().c_str(),
                 std::strerror(errno));
    return 1;
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::printf("listening on %s\n", bound.to_string().c_str());
  std::fflush(stdout);
  Totals t = echo(fd, o);
  close(fd);
  std::printf("echoed %ld datagrams, %lld bytes\n", t.datagrams, t.bytes);
  return 0;
}
