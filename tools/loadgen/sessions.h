// ferry-loadgen's control plane: the allocations (TURN, long-term auth) or, against
// ferry-bare-relay, the same number of plain client sockets mapped to its relay ports.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/client_socket.h"
#include "client/turn_client.h"
#include "loadgen/options.h"

namespace ferry::loadgen {

struct Session {
  std::unique_ptr<client::TurnClient> turn;         // TURN mode
  std::optional<client::ClientSocket> bare_socket;  // bare mode
  int fd = -1;                                      // the client socket, connected to the server
  Address relayed;
  std::uint16_t channel = 0;
  sockaddr_storage relayed_sa{};
  socklen_t relayed_len = 0;

  client::ClientSocket& socket() { return turn ? turn->socket() : *bare_socket; }
};

// Non-blocking, with receive and send buffers of `bytes` (forced when allowed).
void tune_socket(int fd, int bytes);

// The generator's peer: one unconnected UDP socket on `source`, port chosen by the kernel.
int open_peer_socket(const Address& source, Address* bound, std::string* error);

// Raises the open-file limit to its hard maximum (each allocation is one socket).
void raise_fd_limit();

class Fleet {
 public:
  Fleet(const Options& o, int peer_fd, const Address& peer)
      : o_(o), peer_fd_(peer_fd), peer_(peer) {}
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;
  ~Fleet() { close(); }

  // N allocations, each with a channel (ChannelData framing) or a permission (Send framing)
  // for the peer. Stops at the first failure.
  bool open_turn(std::size_t n, std::string* error);
  // N client sockets mapped to the bare relay's ports BASE+i (channel 0x4000+i); probes in
  // both directions teach the bare relay the client and peer of each mapping.
  bool open_bare(std::size_t n, std::string* error);
  // Refresh (the requested lifetime) and ChannelBind again: allocation, channel and
  // permission all start a new lifetime. Returns the failures.
  std::size_t refresh();
  // Refresh 0 for every allocation, then closes the sockets. Returns the failures.
  std::size_t close();
  // Closes the sockets and leaves the allocations to expire (or to a server about to stop).
  void abandon() { sessions_.clear(); }

  std::vector<Session>& sessions() { return sessions_; }
  std::size_t size() const { return sessions_.size(); }

 private:
  bool add_turn(std::size_t i, std::string* error);
  bool add_bare(std::size_t i, std::string* error);
  bool handshake_bare(Session& s);
  bool handshake_bare_stream(Session& s);
  void finish(Session* s);

  const Options& o_;
  int peer_fd_;
  Address peer_;
  std::vector<Session> sessions_;
};

// "Allocate: 401 Unauthorized" or "Allocate: timeout".
std::string describe(const char* what, const client::TurnStatus& st);

}  // namespace ferry::loadgen
