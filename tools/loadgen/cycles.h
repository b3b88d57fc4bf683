// ferry-loadgen's cycle mode, for the soak benchmark (tests/bench/soak.sh): K whole allocation
// lifecycles one after the other, each from a fresh client socket (UDP, TCP or TLS, --transport):
//   Allocate (unauthenticated request, 401, authenticated Allocate)
//   CreatePermission and ChannelBind for the generator's peer socket
//   P packets client->peer (the first as a Send indication, the others as ChannelData), each
//   awaited at the peer from the relayed address; then P packets peer->client to the relayed
//   address, each awaited at the client (ChannelData: the channel is bound)
//   Refresh (the requested lifetime), then Refresh 0 (deletion), then the socket is closed.
// A failed step is counted by name and the allocation is still deleted. Stops after
// kMaxCycleFailures failures, when K cycles are done, or after D seconds.
#pragma once

#include "loadgen/options.h"

namespace ferry::loadgen {

constexpr long kMaxCycleFailures = 20;

// Prints a summary line ("attempted=... ok=... failed=...") and returns 0 if every cycle
// succeeded, 1 otherwise.
int run_cycles(const Options& o);

}  // namespace ferry::loadgen
