// What the network layer needs, built from the option table by ferry_config, which also
// computes the derived values (marked "derived"): the network layer uses them as given.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "ferry/auth/credential_store.h"
#include "ferry/auth/refresher.h"

#include "ferry/common/address.h"
#include "ferry/common/time.h"
#include "ferry/tls/tls_context.h"
#include "ferry/turn/settings.h"

namespace ferry::net {

struct ServerSettings {
  // Addresses to listen on (port ignored). Without listening-ip, every address of every
  // interface, IPv4 and IPv6 (like coturn), so replies leave from the address that was asked.
  std::vector<Address> listen_ips;
  // Derived: where relay sockets may bind (relay-ip, else the listening addresses).
  std::vector<Address> relay_addresses;
  std::uint16_t port = 3478;
  // listening-device / relay-device: SO_BINDTODEVICE on listeners / relay sockets (needs
  // CAP_NET_RAW; a failure stops the start with the reason).
  std::string listening_device;
  std::string relay_device;
  bool udp = true;
  bool tcp = true;
  // rfc5780: NAT behaviour discovery; with it, UDP listeners on alt_port too (0 in the
  // configuration: listening-port + 1, as coturn; derived 0 when off).
  bool rfc5780 = false;
  std::uint16_t alt_port = 0;
  // With rfc5780 and TLS or DTLS: TLS and DTLS listeners on alt_tls_port too (0 in the
  // configuration: tls-listening-port + 1, as coturn; derived 0 when not in use).
  std::uint16_t alt_tls_port = 0;
  // TURN over TLS (RFC 8656 §3.1) on tls_port of every listening address: on unless no-tls,
  // and derived off when no certificate is configured (`cert`).
  bool tls = true;
  std::uint16_t tls_port = 5349;
  tls::TlsSettings tls_files;
  // TURN over DTLS 1.2 on UDP tls_port and, told apart by the first byte, on UDP port: on
  // unless no-dtls, derived off with TLS (no certificate, no-tls) or with no-tlsv1_2.
  bool dtls = true;
  // tls-handshake-rate: TLS handshakes per second per source /24 or /56, for the server
  // (0: no limit); derived: each worker's share, and bursts of twice as many.
  std::uint32_t tls_handshake_rate = 50;
  std::uint32_t tls_handshake_burst = 100;
  // Share-nothing workers (DESIGN.md section 2); derived: one per CPU unless relay-threads.
  unsigned threads = 0;
  // max-allocate-timeout: a TCP connection without an allocation that delivers no complete
  // message for this long is closed.
  Duration tcp_idle_timeout = Seconds(60);
  // A frame (STUN message or ChannelData) must arrive whole within this long of its first
  // byte, however slowly bytes trickle in (slowloris).
  Duration tcp_frame_deadline = Seconds(10);
  // Bytes queued for one TCP client at most; over it the client's requests wait and relayed
  // data for it is dropped (tcp_connection.h).
  std::size_t tcp_output_limit = 64 * 1024;
  // Bytes queued for all TCP clients of one worker together: without it, the total would be
  // the per-connection limit times the descriptor limit.
  std::size_t tcp_output_budget = 64 * 1024 * 1024;
  // A connection whose pending output makes no progress for this long is closed.
  Duration tcp_stall_timeout = Seconds(30);
  // Client TCP connections from one IP address at once (max-tcp-connections-per-ip; 0: no
  // bound). All connections together are bounded by the descriptor limit (Runtime::start).
  std::size_t max_tcp_connections_per_ip = 256;
  // Relay ports (min-port..max-port), drawn at random per allocation.
  std::uint16_t min_port = 49152;
  std::uint16_t max_port = 65535;
  // user-quota / total-quota (0: unlimited); an EVEN-PORT reservation counts as one.
  std::size_t user_quota = 1000;
  std::size_t total_quota = 32768;
  // max-allocations-per-ip: allocations (and so relay ports) one client address may hold.
  std::size_t per_ip_quota = 1000;
  // bps-capacity, for the whole server; each worker's share is turn.worker_bps_capacity.
  std::uint64_t bps_capacity = 0;
  // Long-term credentials (static users now); shared read-only by every worker.
  std::shared_ptr<const auth::CredentialStore> credentials;
  // What keeps `credentials` current (a user database), run on the Runtime's refresher
  // thread; null when the credentials come from the configuration alone.
  std::shared_ptr<auth::BackgroundRefresh> credential_refresh;
  turn::Settings turn;

  bool operator==(const ServerSettings&) const = default;
};

}  // namespace ferry::net
