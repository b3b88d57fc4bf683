#include "loadgen/options.h"

#include <cstring>
#include <string_view>

#include "client/cli_args.h"

namespace ferry::loadgen {

namespace {

using client::parse_number;

bool parse_mode(std::string_view v, Options* o) {
  if (v == "relay") {
    o->mode = Mode::kRelay;
  } else if (v == "allocate") {
    o->mode = Mode::kAllocate;
  } else if (v == "hold") {
    o->mode = Mode::kHold;
  } else if (v == "cycle") {
    o->mode = Mode::kCycle;
  } else {
    return false;
  }
  return true;
}

bool parse_direction(std::string_view v, Options* o) {
  o->c2p = v == "c2p" || v == "both";
  o->p2c = v == "p2c" || v == "both";
  return o->c2p || o->p2c;
}

bool parse_framing(std::string_view v, Options* o) {
  if (v != "channel" && v != "send") return false;
  o->framing = v == "channel" ? Framing::kChannel : Framing::kSend;
  return true;
}

bool parse_transport(std::string_view v, Options* o) {
  if (v == "udp") {
    o->transport = Transport::kUdp;
  } else if (v == "tcp") {
    o->transport = Transport::kTcp;
  } else if (v == "tls") {
    o->transport = Transport::kTls;
  } else {
    return false;
  }
  return true;
}

bool parse_credentials(std::string_view v, Options* o) {
  auto colon = v.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  o->user = std::string(v.substr(0, colon));
  o->password = std::string(v.substr(colon + 1));
  return true;
}

// One option with a value; false if the name is unknown or the value is invalid.
bool parse_valued(std::string_view a, const char* v, Options* o) {
  if (a == "--server") {
    auto e = Address::parse_endpoint(v);
    if (e) o->server = *e;
    return e.has_value() && e->is_loopback() && e->port() != 0;
  }
  if (a == "--source") {
    auto ip = Address::parse_ip(v);
    if (ip) o->source = *ip;
    return ip.has_value() && ip->is_loopback();
  }
  if (a == "--user") return parse_credentials(v, o);
  if (a == "--allocations" || a == "-n")
    return parse_number(v, 1, kMaxAllocations, &o->allocations);
  if (a == "--count" || a == "-k") return parse_number(v, 1, kMaxCount, &o->count);
  if (a == "--framing") return parse_framing(v, o);
  if (a == "--direction") return parse_direction(v, o);
  if (a == "--rate") return parse_number(v, 0, kMaxRate, &o->rate);
  if (a == "--size") return parse_number(v, kMinSize, kMaxSize, &o->size);
  if (a == "--seconds" || a == "-d") return parse_number(v, 1, kMaxSeconds, &o->seconds);
  if (a == "--lifetime") return parse_number(v, 1, 3600, &o->lifetime);
  if (a == "--drain-ms") return parse_number(v, 0, 10000, &o->drain_ms);
  if (a == "--transport") return parse_transport(v, o);
  if (a == "--packets") return parse_number(v, 1, kMaxPackets, &o->packets);
  if (a == "--bare") {
    o->bare = true;
    return parse_number(v, 1, 65535, &o->bare_relay_port);
  }
  return false;
}

bool parse_flag(std::string_view a, Options* o) {
  if (a == "--keep") {
    o->keep = true;
  } else if (a == "--sync") {
    o->sync = true;

  } else {
    return false;
  }
  return true;
}

bool check(const Options& o, std::string* error) {
  if (o.server.family() != o.source.family()) {
    *error = "--server and --source must be the same address family";
  } else if (o.mode == Mode::kRelay && o.seconds > kMaxRelaySeconds) {
    *error = "relay mode runs at most " + std::to_string(kMaxRelaySeconds) + " seconds";
  } else if (o.transport != Transport::kUdp && o.mode != Mode::kCycle && o.mode != Mode::kRelay) {
    *error = "--transport is for relay and cycle modes only";
  } else if (o.bare && o.mode != Mode::kRelay) {
    *error = "--bare is for relay mode only";
  } else if (o.bare && o.framing != Framing::kChannel) {
    *error = "the bare relay speaks ChannelData only";
  } else if (o.bare && o.allocations > 16384) {
    *error = "the bare relay has 16384 channel numbers (0x4000..0x7FFF)";
  } else if (o.bare && o.bare_relay_port + o.allocations - 1 > 65535) {
    *error = "--bare PORT + allocations exceeds 65535";
  } else {
    return true;
  }
  return false;
}

}  // namespace

void print_usage(std::FILE* out) {
  std::fprintf(
      out,
      "usage: ferry-loadgen relay|allocate|hold|cycle [options]\n"
      "  relay     N allocations (long-term auth), each with a channel (or a permission for\n"
      "            --framing send) to a peer socket of the generator; sends client->peer\n"
      "            through the relay and peer->client to the relayed addresses for D seconds,\n"
      "            then prints sent/received/lost and latency percentiles per direction\n"
      "  allocate  K full Allocates (401 round trip + authenticated Allocate), each followed\n"
      "            by Refresh 0 unless --keep; at most D seconds; prints the rate and failures\n"
      "  hold      N allocations with a permission and a channel each, refreshed before\n"
      "            expiry, held D seconds, then deleted\n"
      "  cycle     K whole lifecycles one after the other, each from a fresh socket: Allocate\n"
      "            (401 round trip), CreatePermission, ChannelBind, P packets client->peer (a\n"
      "            Send indication, then ChannelData) and P peer->client, each awaited, Refresh,\n"
      "            Refresh 0; at most D seconds (tests/bench/soak.sh)\n"
      "options:\n"
      "  --server IP:PORT     TURN server, loopback only [127.0.0.1:3478]\n"
      "  --source IP          local address of every generator socket [127.0.0.2]\n"
      "  --user USER:PASS     long-term credentials [u:p]\n"
      "  -n, --allocations N  relay/hold allocations (1..%ld) [10]\n"
      "  -k, --count K        allocate: transactions; cycle: cycles (1..%ld) [1000]\n"
      "  --framing channel|send   ChannelData, or Send/Data indications [channel]\n"
      "  --direction c2p|p2c|both [both]\n"
      "  --rate PPS           packets per second, all directions together; 0: flat out [10000]\n"
      "  --size BYTES         payload per packet (%ld..%ld) [100]\n"
      "  -d, --seconds D      duration (relay at most %ld) [5]\n"
      "  --lifetime S         requested allocation lifetime [600]\n"
      "  --drain-ms MS        relay: wait for packets in flight after sending [500]\n"
      "  --bare PORT          relay through ferry-bare-relay (--server is its client port,\n"
      "                       PORT its first relay port; started with the same --transport):\n"
      "                       no TURN, same packets\n"
      "  --keep               allocate, relay: leave the allocations (no Refresh 0)\n"
      "  --transport udp|tcp|tls  relay, cycle: client sockets over UDP, TCP or TLS (ALPN\n"
      "                       stun.turn, certificate not verified; relay: ChannelData padded\n"
      "                       to 4 bytes, one TLS record per message) [udp]\n"
      "  --packets P          cycle: packets each way per cycle (1..%ld) [2]\n"
      "  --sync               print 'sync setup|start|end' and wait for a line on stdin at\n"
      "                       each (so a script can read the server's CPU and RSS there)\n",
      kMaxAllocations, kMaxCount, kMinSize, kMaxSize, kMaxRelaySeconds, kMaxPackets);
}

bool parse_options(int argc, char** argv, Options* o, bool* help, std::string* error) {
  if (argc < 2) {
    *error = "missing mode";
    return false;
  }
  std::string_view first = argv[1];
  if (first == "-h" || first == "--help") {
    *help = true;
    return true;
  }
  if (!parse_mode(first, o)) {
    *error = "unknown mode: " + std::string(first);
    return false;
  }
  for (int i = 2; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "-h" || a == "--help") {
      *help = true;
      return true;
    }
    if (parse_flag(a, o)) continue;
    if (i + 1 >= argc || !parse_valued(a, argv[i + 1], o)) {
      *error = "bad option or value: " + std::string(a);
      if (i + 1 < argc) *error += std::string(" ") + argv[i + 1];
      if (a == "--server" || a == "--source") *error += " (loopback addresses only)";
      return false;
    }
    ++i;
  }
  return check(*o, error);
}

}  // namespace ferry::loadgen
