// ferry-turnclient: allocates a UDP relay on a TURN server (RFC 8656) over UDP or TCP, relays
// COUNT numbered packets to a peer that echoes them back to the relayed address (ferry-udp-peer),
// checks that each comes back intact, and deletes the allocation. Exit status 0 only if every
// packet came back (and the allocation was deleted); 1 otherwise; 2 for a usage error.
//   ferry-turnclient [-t] [-p PORT] -u USER -w PASSWORD [-m channel|send] [-n COUNT] [-s SIZE]
//                    [--peer IP:PORT] [-T TIMEOUT_MS] [--lifetime S]
//                    [--sha256 | --rfc5389] [--userhash] [--origin ORIGIN] SERVER
#include <netdb.h>
#include <openssl/rand.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "client/cli_args.h"
#include "client/turn_client.h"

namespace {

using ferry::Address;
using ferry::Clock;
using ferry::Millis;
using ferry::TimePoint;
using ferry::client::PeerData;
using ferry::client::TurnClient;
using ferry::client::TurnStatus;

constexpr std::uint16_t kChannel = 0x4000;  // RFC 8656 §12: the first valid channel number
constexpr std::size_t kWindow = 16;         // packets in flight at once
constexpr std::uint32_t kGiveUpAfter = 32;  // consecutive losses: the relay path is dead
constexpr long kMinSize = 8;                // sequence number and run tag
constexpr long kMaxSize = 65000;            // fits a UDP datagram with TURN framing around it
constexpr long kMaxCount = 1000000;
constexpr ferry::Seconds kMaxSending{300};  // no new packets after this long

struct Options {
  ferry::Transport transport = ferry::Transport::kUdp;
  long port = 3478;
  std::string user;
  std::string password;
  std::string host;
  bool channel = true;
  long count = 10;
  long size = 100;
  std::optional<Address> peer;
  Millis timeout{3000};
  long lifetime = 0;  // 0: no LIFETIME attribute, the server's default
  ferry::client::PasswordChoice algorithm = ferry::client::PasswordChoice::kMd5;
  bool userhash = false;
  std::string origin;
};

int usage(FILE* out, int status) {
  std::fprintf(
      out,
      "usage: ferry-turnclient [-t] [-p PORT] -u USER -w PASSWORD [-m channel|send] [-n COUNT]\n"
      "                        [-s SIZE] [--peer IP:PORT] [-T TIMEOUT_MS] [--lifetime S]\n"
      "                        [--sha256 | --rfc5389] [--userhash] [--origin ORIGIN] SERVER\n"
      "Allocates a UDP relay (long-term credentials), permits PEER, sends COUNT packets of SIZE\n"
      "bytes (%ld..%ld) through the relay (ChannelData on channel 0x4000, or Send indications)\n"
      "to PEER, which must echo them back (ferry-udp-peer), then deletes the allocation.\n"
      "  -t, --tcp         talk to the server over TCP (default UDP)\n"
      "  -p, --port PORT   server port (default 3478)\n"
      "  -m channel|send   ChannelData (default) or Send/Data indications\n"
      "  -n COUNT          packets to send (default 10; 0: only allocate and delete)\n"
      "  -s SIZE           payload bytes per packet (default 100)\n"
      "  -T TIMEOUT_MS     per transaction and per echoed packet (default 3000)\n"
      "  --lifetime S      LIFETIME to ask for (default: the server's)\n"
      "  --sha256          PASSWORD-ALGORITHM SHA-256, MESSAGE-INTEGRITY-SHA256 (RFC 8489)\n"
      "  --rfc5389         ignore PASSWORD-ALGORITHMS: MD5 and MESSAGE-INTEGRITY, as browsers\n"
      "  --userhash        USERHASH instead of USERNAME (RFC 8489 section 14.4)\n"
      "  --origin ORIGIN   ORIGIN attribute in every request (the server may map it to a realm)\n"
      "Exits 0 only if every packet came back.\n",
      kMinSize, kMaxSize);
  return status;
}

using ferry::client::parse_number;

// One option with a value; false when the option is unknown or the value is bad.
bool parse_value(const std::string& a, const char* v, Options* o) {
  long n = 0;
  if (a == "-p" || a == "--port") return parse_number(v, 1, 65535, &o->port);
  if (a == "-u" || a == "--user") return !(o->user = v).empty();
  if (a == "-w" || a == "--password") return !(o->password = v).empty();
  if (a == "-n" || a == "--count") return parse_number(v, 0, kMaxCount, &o->count);
  if (a == "-s" || a == "--size") return parse_number(v, kMinSize, kMaxSize, &o->size);
  if (a == "--lifetime") return parse_number(v, 0, 0xFFFFFFFFL, &o->lifetime);
  if (a == "--origin") return !(o->origin = v).empty();
  if (a == "-m" || a == "--mode") {
    o->channel = std::string(v) == "channel";
    return o->channel || std::string(v) == "send";
  }
  if (a == "--peer") {
    o->peer = Address::parse_endpoint(v);
    return o->peer && o->peer->port() != 0;
  }
  if (a == "-T" || a == "--timeout") {
    if (!parse_number(v, 1, 600000, &n)) return false;
    o->timeout = Millis(n);
    return true;
  }
  return false;
}

// False on a usage error; sets *help for -h.
bool parse_args(int argc, char** argv, Options* o, bool* help) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      *help = true;
      return true;
    }
    if (a == "-t" || a == "--tcp") {
      o->transport = ferry::Transport::kTcp;
    } else if (a == "--sha256") {
      o->algorithm = ferry::client::PasswordChoice::kSha256;
    } else if (a == "--rfc5389") {
      o->algorithm = ferry::client::PasswordChoice::kRfc5389;
    } else if (a == "--userhash") {
      o->userhash = true;
    } else if (!a.empty() && a[0] == '-') {
      if (i + 1 >= argc || !parse_value(a, argv[++i], o)) {
        std::fprintf(stderr, "ferry-turnclient: bad or missing value for %s\n", a.c_str());
        return false;
      }
    } else if (o->host.empty()) {
      o->host = a;
    } else {
      return false;
    }
  }
  if (o->count > 0 && !o->peer) std::fprintf(stderr, "ferry-turnclient: --peer is required\n");
  return !o->host.empty() && !o->user.empty() && !o->password.empty() && (o->count == 0 || o->peer);
}

std::optional<Address> resolve(const std::string& host, std::uint16_t port) {
  if (auto a = Address::parse_ip(host, port)) return a;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) return std::nullopt;
  auto a = Address::from_sockaddr(res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (a.empty()) return std::nullopt;
  a.set_port(port);
  return a;
}

std::string describe(const TurnStatus& s) {
  if (s.error_code != 0) return "error " + std::to_string(s.error_code) + " (" + s.reason + ")";
  return s.reason;
}

Millis remaining(TimePoint until) {
  auto left = until - Clock::now();
  return left <= ferry::Duration::zero() ? Millis(0) : std::chrono::ceil<Millis>(left);
}

double ms(ferry::Duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

struct Stats {
  std::uint32_t sent = 0;
  std::uint32_t received = 0;
  std::uint32_t via_channel = 0;
  std::uint32_t via_indication = 0;
  std::uint32_t late = 0;       // came back after its timeout (counted lost)
  std::uint32_t duplicate = 0;  // came back twice
  std::uint32_t corrupt = 0;    // wrong size, run tag or contents
  std::uint32_t stranger = 0;   // from another peer
  std::uint32_t icmp = 0;       // ICMP errors reported by the relay (RFC 8656 §11.6)
  bool send_failed = false;
  bool gave_up = false;
  bool out_of_time = false;
  bool closed = false;
  ferry::Duration rtt_min = ferry::Duration::max();
  ferry::Duration rtt_max{};
  ferry::Duration rtt_sum{};
};

// Sends numbered packets through the relay with at most kWindow in flight and matches the
// echoes; a packet not back within the timeout is lost.
class Traffic {
 public:
  Traffic(TurnClient& client, const Options& o)
      : client_(client),
        o_(o),
        fate_(static_cast<std::size_t>(o.count), Fate::kUnsent),
        sent_at_(static_cast<std::size_t>(o.count)),
        packet_(static_cast<std::size_t>(o.size)) {
    RAND_bytes(reinterpret_cast<std::uint8_t*>(&tag_), sizeof tag_);
  }

  Stats run() {
    while (true) {
      fill_window();
      if (inflight_.empty()) break;
      auto until = sent_at_[inflight_.front()] + o_.timeout;
      if (auto d = client_.receive_data(remaining(until))) on_data(*d);
      if (client_.closed()) {
        stats_.closed = true;
        break;
      }
      expire();
    }
    return stats_;
  }

 private:
  enum class Fate : std::uint8_t { kUnsent, kInFlight, kBack, kLost };

  void fill_window() {
    if (Clock::now() >= stop_sending_at_) stats_.out_of_time = next_ < fate_.size();
    while (next_ < fate_.size() && in_flight_ < kWindow && !stats_.send_failed && !stats_.gave_up &&
           !stats_.out_of_time) {
      make_packet(static_cast<std::uint32_t>(next_));
      ferry::Bytes p(packet_.data(), packet_.size());
      bool sent = o_.channel ? client_.send_channel_data(kChannel, p)
                             : client_.send_indication(*o_.peer, p);
      if (!sent) {
        stats_.send_failed = true;
        return;
      }
      fate_[next_] = Fate::kInFlight;
      sent_at_[next_] = Clock::now();
      inflight_.push_back(static_cast<std::uint32_t>(next_));
      ++in_flight_;
      ++next_;
      ++stats_.sent;
    }
  }

  // Bytes 0..3: sequence number; 4..7: this run's random tag; then a pattern of the sequence.
  void make_packet(std::uint32_t seq) {
    ferry::store_be32(packet_.data(), seq);
    ferry::store_be32(packet_.data() + 4, tag_);
    for (std::size_t i = 8; i < packet_.size(); ++i) {
      packet_[i] = static_cast<std::uint8_t>(seq + i);
    }
  }

  std::optional<std::uint32_t> check_packet(const std::vector<std::uint8_t>& d) const {
    if (d.size() != packet_.size() || ferry::load_be32(d.data() + 4) != tag_) return std::nullopt;
    std::uint32_t seq = ferry::load_be32(d.data());
    if (seq >= fate_.size()) return std::nullopt;
    for (std::size_t i = 8; i < d.size(); ++i) {
      if (d[i] != static_cast<std::uint8_t>(seq + i)) return std::nullopt;
    }
    return seq;
  }

  void on_data(const PeerData& d) {
    if (d.icmp) {
      ++stats_.icmp;
      return;
    }
    if (!(d.peer == *o_.peer)) {
      ++stats_.stranger;
      return;
    }
    auto seq = check_packet(d.data);
    if (!seq) {
      ++stats_.corrupt;
      return;
    }
    switch (fate_[*seq]) {
      case Fate::kInFlight:
        fate_[*seq] = Fate::kBack;
        --in_flight_;
        consecutive_lost_ = 0;
        ++stats_.received;
        ++(d.via_channel ? stats_.via_channel : stats_.via_indication);
        record_rtt(Clock::now() - sent_at_[*seq]);
        return;
      case Fate::kLost:
        ++stats_.late;
        return;
      case Fate::kBack:
        ++stats_.duplicate;
        return;
      case Fate::kUnsent:
        ++stats_.corrupt;  // a sequence number not sent yet: not our packet
        return;
    }
  }

  void record_rtt(ferry::Duration rtt) {
    stats_.rtt_min = std::min(stats_.rtt_min, rtt);
    stats_.rtt_max = std::max(stats_.rtt_max, rtt);
    stats_.rtt_sum += rtt;
  }

  // Drops echoed packets from the front of the queue and declares overdue ones lost.
  void expire() {
    const auto now = Clock::now();
    while (!inflight_.empty()) {
      std::uint32_t seq = inflight_.front();
      if (fate_[seq] == Fate::kInFlight) {
        if (now - sent_at_[seq] < o_.timeout) return;
        fate_[seq] = Fate::kLost;
        --in_flight_;
        if (++consecutive_lost_ >= kGiveUpAfter) stats_.gave_up = true;
      }
      inflight_.pop_front();
    }
  }

  TurnClient& client_;
  const Options& o_;
  std::vector<Fate> fate_;
  std::vector<TimePoint> sent_at_;
  std::vector<std::uint8_t> packet_;
  std::deque<std::uint32_t> inflight_;  // sequence numbers in send order
  TimePoint stop_sending_at_ = Clock::now() + kMaxSending;
  std::uint32_t tag_ = 0;
  std::size_t next_ = 0;
  std::size_t in_flight_ = 0;
  std::uint32_t consecutive_lost_ = 0;
  Stats stats_;
};

void print_stats(const Stats& s, const Options& o) {
  const auto count = static_cast<std::uint32_t>(o.count);
  std::printf("packets: %" PRIu32 " sent, %" PRIu32 " received, %" PRIu32
              " lost (%ld bytes each, %s)\n",
              s.sent, s.received, count - s.received, o.size,
              o.channel ? "ChannelData on 0x4000" : "Send/Data indications");
  std::printf("received via ChannelData %" PRIu32 ", via Data indication %" PRIu32 "; late %" PRIu32
              ", duplicate %" PRIu32 ", corrupt %" PRIu32 ", from other peers %" PRIu32
              ", ICMP errors %" PRIu32 "\n",
              s.via_channel, s.via_indication, s.late, s.duplicate, s.corrupt, s.stranger, s.icmp);
  if (s.received > 0) {
    std::printf("rtt: min %.3f ms, avg %.3f ms, max %.3f ms\n", ms(s.rtt_min),
                ms(s.rtt_sum) / s.received, ms(s.rtt_max));
  }
  if (s.send_failed) std::printf("stopped: sending to the server failed\n");
  if (s.gave_up) std::printf("stopped: %" PRIu32 " packets lost in a row\n", kGiveUpAfter);
  if (s.out_of_time)
    std::printf("stopped: still sending after %lld s\n",
                static_cast<long long>(kMaxSending.count()));
  if (s.closed) std::printf("stopped: the server closed the connection\n");
}

// Permission (and channel), then the packets. True if every packet came back.
bool relay_packets(TurnClient& c, const Options& o) {
  auto p = c.create_permission(*o.peer);
  if (!p.ok) {
    std::printf("create permission %s failed: %s\n", o.peer->ip_string().c_str(),
                describe(p).c_str());
    return false;
  }
  std::printf("permission: %s\n", o.peer->ip_string().c_str());
  if (o.channel) {
    auto b = c.channel_bind(kChannel, *o.peer);
    if (!b.ok) {
      std::printf("channel bind 0x4000 failed: %s\n", describe(b).c_str());
      return false;
    }
    std::printf("channel: 0x4000 -> %s\n", o.peer->to_string().c_str());
  }
  Stats s = Traffic(c, o).run();
  print_stats(s, o);
  return s.received == static_cast<std::uint32_t>(o.count);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  bool help = false;
  if (!parse_args(argc, argv, &o, &help)) return usage(stderr, 2);
  if (help) return usage(stdout, 0);
  auto server = resolve(o.host, static_cast<std::uint16_t>(o.port));
  if (!server) {
    std::fprintf(stderr, "cannot resolve %s\n", o.host.c_str());
    return 1;
  }
  std::string error;
  auto sock = ferry::client::ClientSocket::open(o.transport, *server, &error);
  if (!sock) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  std::printf("server: %s (%s), local address %s\n", server->to_string().c_str(),
              std::string(ferry::transport_name(o.transport)).c_str(),
              sock->local().to_string().c_str());
  TurnClient c(
      std::move(*sock),
      {.timeout = o.timeout, .password = o.algorithm, .userhash = o.userhash, .origin = o.origin});
  auto a = c.allocate(o.user, o.password, static_cast<std::uint32_t>(o.lifetime));
  if (!a.ok) {
    std::printf("allocate failed: %s\n", describe(a).c_str());
    return 1;
  }
  std::printf("realm: %s\nrelayed address: %s\nmapped address: %s\nlifetime: %u s\n",
              c.realm().c_str(), a.relayed.to_string().c_str(), a.mapped.to_string().c_str(),
              a.lifetime);
  bool all_back = o.count == 0 || relay_packets(c, o);
  auto r = c.refresh(0);  // RFC 8656 §8.1: LIFETIME 0 deletes the allocation
  if (r.ok) {
    std::printf("allocation deleted%s\n", r.error_code == 437 ? " (437: already gone)" : "");
  } else {
    std::printf("delete failed: %s\n", describe(r).c_str());
  }
  std::fflush(stdout);
  return all_back && r.ok ? 0 : 1;
}
