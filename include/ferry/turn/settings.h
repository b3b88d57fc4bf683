// What the protocol core needs to know, built from the option table by ferry_config.
// Only ferry_config knows option names (DESIGN.md section 3).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ferry/common/address.h"
#include "ferry/common/time.h"
#include "ferry/turn/peer_policy.h"

namespace ferry::turn {

// external-ip=PUBLIC[/PRIVATE] (coturn syntax): what to report for a relay bound to `private_ip`
// (any relay address of the same family when private_ip is empty), for hosts behind 1:1 NAT.
struct ExternalIp {
  Address public_ip;
  Address private_ip;
  bool operator==(const ExternalIp&) const = default;
};

// alternate-server=IP:PORT: where Allocate requests are sent instead (RFC 8489 §10).
struct AlternateServer {
  Address address;
  bool operator==(const AlternateServer&) const = default;
};

// RFC 5780 NAT behaviour discovery (`rfc5780`): each pair of listening addresses of one
// family answers for the other (A1 <-> A2), on the listening port and the alternate one
// (P1 <-> P2). Derived in configuration; off while alt_port is 0.
struct NatDiscovery {
  std::vector<std::pair<Address, Address>> partners;  // IPs, port 0
  std::uint16_t port = 0;
  std::uint16_t alt_port = 0;
  // The TLS/DTLS pair (alt-tls-listening-port); 0 when TLS and DTLS are off.
  std::uint16_t tls_port = 0;
  std::uint16_t alt_tls_port = 0;
  bool on() const { return alt_port != 0; }
  // The alternate address and port (Ca:Cp, §6) of listening endpoint `da`, over UDP or (`tls`)
  // over TLS/DTLS; empty when it has no partner or no such port pair.
  Address other_of(const Address& da, bool tls = false) const {
    const std::uint16_t p = tls ? tls_port : port;
    const std::uint16_t q = tls ? alt_tls_port : alt_port;
    if (p == 0 || q == 0) return {};
    for (const auto& [a, b] : partners) {
      const Address* c = a.same_ip(da) ? &b : b.same_ip(da) ? &a : nullptr;
      if (c == nullptr) continue;
      Address out = *c;
      out.set_port(da.port() == p ? q : p);
      return out;
    }
    return {};
  }
  bool operator==(const NatDiscovery&) const = default;
};

// allocation-default-address-family: the relay family of an Allocate without
// REQUESTED-ADDRESS-FAMILY (RFC 8656 §7.2 says IPv4; coturn lets the operator choose, and `keep`
// follows the family of the client's own connection).
enum class DefaultFamily : std::uint8_t { kIpv4, kIpv6, kKeep };

struct Settings {
  // FINGERPRINT in every response (`fingerprint`); responses to requests that carry one get one
  // regardless (CONFORMANCE.md "Responses").
  bool fingerprint = false;
  // SOFTWARE attribute in responses unless `no-software-attribute`.
  bool software = true;
  std::string software_name = "Ferry";
  // Answer RFC 3489 requests and add MAPPED-ADDRESS (off: `no-stun-backward-compatibility`).
  bool stun_backward_compatibility = true;
  // RESPONSE-ORIGIN in Binding responses (off: `response-origin-only-with-rfc5780` while
  // RFC 5780 is not enabled).
  bool response_origin = true;
  NatDiscovery nat;

  // TURN (RFC 8656). Without credentials configured TURN is refused (secure by default);
  // `no-auth` turns the server into an open relay.
  bool turn_enabled = false;
  bool auth_required = true;
  std::string realm = "ferry";
  // coturn's dynamic realms: a request whose ORIGIN (0x802F) the credential store maps to a
  // realm (turn_origin_to_realm) is answered in that realm, with its options
  // (turn_realm_option). Off: `no-dynamic-realms`, every request is in `realm`.
  bool dynamic_realms = true;
  // check-origin-consistency: every later request of an allocation carries the ORIGIN its
  // Allocate carried (none if it carried none), else 441, as in coturn.
  bool check_origin_consistency = false;
  Seconds default_lifetime{600};     // RFC 8656 §3.2
  Seconds max_lifetime{3600};        // max-allocate-lifetime
  Seconds permission_lifetime{300};  // RFC 8656 §9: exactly 300 s unless configured
  Seconds channel_lifetime{600};     // RFC 8656 §12: 10 minutes
  Seconds channel_rest{300};         // RFC 8656 §12: numbers rest 5 minutes before reuse
  Seconds nonce_lifetime{600};       // stale-nonce
  // Per allocation (max-permissions-per-allocation, max-channels-per-allocation); more -> 508.
  // A WebRTC session uses one per remote candidate (tens at most); the bound keeps what one
  // allocation can pin small (issue 16 item 6: 4,096 channels and 1,024 permissions cost
  // about 0.5 MB).
  std::size_t max_permissions = 128;
  std::size_t max_channels = 128;
  // RFC 6062 TCP allocations (opt-in: tcp-relay; no-tcp-relay wins) and UDP ones (off:
  // no-udp-relay); a refused transport is answered 442 (RFC 6062 §5.1). TCP relays are off by
  // default: each lets a client open TCP connections from this host to any permitted peer (a
  // web or mail server behind a permissive peer policy), which a WebRTC deployment never needs.
  bool tcp_relay = false;
  bool udp_relay = true;
  // RFC 6062 peer data connections one TCP allocation may hold, connecting, waiting for their
  // ConnectionBind or piped (max-tcp-relay-connections-per-allocation): each is a descriptor
  // and up to two bounded buffers, so a client must not open them without bound.
  std::size_t max_tcp_connections = 64;
  // RFC 5766 §11's 0x4000..0x7FFF, which the field's clients and servers use (coturn's
  // turnutils_uclient picks numbers above 0x4FFF); `rfc8656-channel-numbers` narrows it to
  // RFC 8656 §12's 0x4000..0x4FFF.
  std::uint16_t max_channel_number = 0x7FFF;
  // RFC 8016 (`mobility`): an allocation asked for with MOBILITY-TICKET gets a ticket that lets
  // its owner move it to a new 5-tuple. Off: such requests are answered 405 (Mobility
  // Forbidden, §3.4), as coturn answers them.
  bool mobility = false;
  std::vector<ExternalIp> external_ips;
  // relay-ip: addresses for relay sockets; empty -> the listening address the request used.
  std::vector<Address> relay_ips;
  // Derived when relay-ip is empty: the listening addresses (wildcards left out). A relay of a
  // family the address the client reached lacks binds to the first of these of that family,
  // so an IPv4 client of a server listening on both families gets an IPv6 relay (RFC 8656 §7.2).
  std::vector<Address> listening_ips;
  DefaultFamily default_family = DefaultFamily::kIpv4;
  PeerPolicySettings peers;
  // alternate-server / tls-alternate-server: Allocate requests over UDP and TCP (over TLS and
  // DTLS) are answered 300 Try Alternate with the next of these, round robin (RFC 8489 §10).
  std::vector<AlternateServer> alternate_servers;
  std::vector<AlternateServer> tls_alternate_servers;
  // max-bps: bytes per second one allocation may relay in each direction (0: no limit).
  std::uint64_t max_bps = 0;
  // bps-capacity's share for one worker (derived in the configuration step: the option divided
  // by the number of workers, share-nothing, no counter shared per packet); 0: no limit.
  std::uint64_t worker_bps_capacity = 0;
  // unauthenticated-response-rate (issue 16 item 10): answers without MESSAGE-INTEGRITY to a
  // UDP source with no allocation (Binding, 401/438, other errors), per second per source
  // prefix, at most `burst` at once (twice the rate); 0: no limit. The configuration step
  // gives each worker its share of both. The core's tests that count answers set 0.
  std::uint32_t unauthenticated_response_rate = 200;
  std::uint32_t unauthenticated_response_burst = 400;

  // Settings are values: a test compares what the table builds with these defaults.
  bool operator==(const Settings&) const = default;
};

}  // namespace ferry::turn
