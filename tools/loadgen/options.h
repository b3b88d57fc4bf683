// ferry-loadgen's command line: the mode, the target, and the bounds of the run.
#pragma once

#include <cstdio>
#include <string>

#include "ferry/common/address.h"

namespace ferry::loadgen {

enum class Mode { kRelay, kAllocate, kHold, kCycle };
enum class Framing { kChannel, kSend };  // ChannelData, or Send/Data indications

struct Options {
  Mode mode = Mode::kRelay;
  Address server = *Address::parse_endpoint("127.0.0.1:3478");
  Address source = *Address::parse_ip("127.0.0.2");  // port 0: each socket gets its own
  std::string user = "u";
  std::string password = "p";
  long allocations = 10;  // relay, hold
  long count = 1000;      // allocate: full Allocate transactions
  Framing framing = Framing::kChannel;
  bool c2p = true;    // client -> peer through the relay
  bool p2c = true;    // peer -> relayed address -> client
  long rate = 10000;  // packets per second, both directions together; 0: flat out
  long size = 100;    // application payload bytes per packet
  long seconds = 5;   // relay: sending time; hold: holding time; allocate: time cap
  long lifetime = 600;
  long drain_ms = 500;       // relay: wait for packets in flight after the last send
  bool bare = false;         // relay against ferry-bare-relay: no TURN, same packet flow
  long bare_relay_port = 0;  // first relay port of ferry-bare-relay (one per allocation)
  bool keep = false;         // allocate, relay: no Refresh 0 afterwards
  bool sync = false;         // print "sync LABEL" at phase boundaries and wait for a line
  Transport transport = Transport::kUdp;  // relay, cycle: client sockets over UDP, TCP or TLS
  long packets = 2;                       // cycle: packets each way per cycle
};

constexpr long kMaxAllocations = 20000;
constexpr long kMaxCount = 1000000;
constexpr long kMaxRate = 2000000;
constexpr long kMinSize = 24;  // the stamp: magic, allocation, sequence number, send time
constexpr long kMaxSize = 1400;
constexpr long kMaxRelaySeconds = 240;  // permissions (300 s) are not refreshed while relaying
constexpr long kMaxSeconds = 3600;
constexpr long kMaxPackets = 64;  // cycle mode: one bit each in a 64-bit mask

void print_usage(std::FILE* out);
// False on a usage error (with *error set); *help for -h/--help.
bool parse_options(int argc, char** argv, Options* o, bool* help, std::string* error);

}  // namespace ferry::loadgen
