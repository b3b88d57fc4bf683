// A blocking TURN client (RFC 8656) over a ClientSocket (UDP or TCP), for Ferry's tools and
// integration tests: Allocate with the long-term credential challenge, Refresh,
// CreatePermission, ChannelBind, Send indications, ChannelData, and receiving relayed data.
//
// Every request carries USERNAME (or USERHASH), REALM, NONCE, MESSAGE-INTEGRITY (key
// MD5(user:realm:pass), RFC 8489 §9.2.2) or, with the SHA-256 password algorithm,
// MESSAGE-INTEGRITY-SHA256 (key SHA-256(user:realm:pass), §18.5.1.2), and FINGERPRINT once the
// server's 401 has named the realm and nonce; a 438
// (stale nonce) is retried once with the fresh NONCE. Transaction ids are random and responses
// are matched by id and method; data relayed from peers that arrives while a transaction is
// under way is queued for receive_data().
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client_socket.h"
#include "ferry/auth/long_term_key.h"
#include "ferry/stun/message.h"

namespace ferry::client {

// RFC 8489 §9.2.5: how the client answers a 401 that lists PASSWORD-ALGORITHMS.
enum class PasswordChoice : std::uint8_t {
  kMd5,      // echo the list, PASSWORD-ALGORITHM MD5, MESSAGE-INTEGRITY (as before RFC 8489 work)
  kSha256,   // echo the list, PASSWORD-ALGORITHM SHA-256, MESSAGE-INTEGRITY-SHA256
  kRfc5389,  // ignore the list: neither attribute, MESSAGE-INTEGRITY with the MD5 key (browsers)
};

struct TurnOptions {
  Millis timeout{3000};     // one whole transaction, retransmissions included
  Millis initial_rto{250};  // UDP only; RFC 8489 §6.2.1 suggests 500 ms, loopback tools go faster
  bool fingerprint = true;  // FINGERPRINT on requests and indications (RFC 8489 §14.7)
  PasswordChoice password = PasswordChoice::kMd5;
  // USERHASH (SHA-256(user:realm), RFC 8489 §14.4) instead of USERNAME; the 401's nonce cookie
  // must announce "Username anonymity" (§9.2.5), else the Allocate fails.
  bool userhash = false;
  // ORIGIN (0x802F) in every request: the web origin a coturn-style server maps to a realm
  // (its turn_origin_to_realm); empty: none (what browsers send).
  std::string origin;
};

// The outcome of a transaction. On failure error_code is the ERROR-CODE number of the error
// response (RFC 8489 §14.8) with its reason phrase, or 0 when no usable response came (reason
// then says what went wrong locally: timeout, closed connection, integrity failure).
struct TurnStatus {
  bool ok = false;
  std::uint16_t error_code = 0;
  std::string reason;
  bool authenticated = false;  // the response's MESSAGE-INTEGRITY was present and valid
};

// What an Allocate asks for beyond a UDP relay of the server's default family (RFC 8656 §7.1).
struct AllocateOptions {
  std::optional<Family> requested_family;  // REQUESTED-ADDRESS-FAMILY
  bool dual = false;           // ADDITIONAL-ADDRESS-FAMILY IPv6: an IPv4 and an IPv6 relay
  bool dont_fragment = false;  // DONT-FRAGMENT: relays that send with DF
  bool mobility = false;       // RFC 8016 §3.1: an empty MOBILITY-TICKET asks for a ticket
};

struct AllocateResult : TurnStatus {
  Address relayed;  // XOR-RELAYED-ADDRESS (RFC 8656 §7.3); the first one of a dual allocation
  // Every XOR-RELAYED-ADDRESS, in order (two for a dual allocation: IPv4, then IPv6).
  std::vector<Address> relayed_all;
  Address mapped;  // XOR-MAPPED-ADDRESS: the client's address as the server sees it
  std::uint32_t lifetime = 0;
  // ADDRESS-ERROR-CODE (RFC 8656 §18.12): the family a dual allocation did not get, and why
  // (440, 508); Family::kNone and 0 when absent.
  Family address_error_family = Family::kNone;
  std::uint16_t address_error_code = 0;
  std::vector<std::uint8_t> ticket;  // MOBILITY-TICKET (RFC 8016), when asked for and given
};

struct RefreshResult : TurnStatus {
  std::uint32_t lifetime = 0;        // LIFETIME granted; 0 after a deletion
  std::vector<std::uint8_t> ticket;  // MOBILITY-TICKET (RFC 8016) of a move or a ticket refresh
};

// Data relayed from a peer: a Data indication (RFC 8656 §11.4) or ChannelData (§12.6).
struct PeerData {
  Address peer;
  std::vector<std::uint8_t> data;
  bool via_channel = false;
  std::uint16_t channel = 0;  // the channel number when via_channel
  // A Data indication with an ICMP attribute and no DATA (RFC 8656 §11.6): the relay got an
  // ICMP error for a packet sent to `peer`.
  bool icmp = false;
  std::uint8_t icmp_type = 0;
  std::uint8_t icmp_code = 0;
};

class TurnClient {
 public:
  explicit TurnClient(ClientSocket socket, TurnOptions options = {});

  // RFC 8656 §7.1: Allocate (REQUESTED-TRANSPORT UDP, LIFETIME unless `lifetime` is 0). The
  // first request goes without credentials (or with those learnt earlier for the same user) and
  // a 401 answer supplies REALM and NONCE. A failure leaves an earlier allocation's state as is.
  AllocateResult allocate(std::string_view user, std::string_view password, std::uint32_t lifetime,
                          const AllocateOptions& options = {});
  // RFC 8656 §8.1: Refresh; a lifetime of 0 deletes the allocation. §8.3: a 437 answer to a
  // deletion means it is already gone, reported as ok with error_code 437.
  RefreshResult refresh(std::uint32_t lifetime) { return refresh(lifetime, Family::kNone); }
  // The same for one family of a dual allocation (REQUESTED-ADDRESS-FAMILY, §8.1): LIFETIME 0
  // deletes that family alone.
  RefreshResult refresh(std::uint32_t lifetime, Family family);
  // RFC 8016 §3.2: from this client's (new) 5-tuple, a Refresh carrying `ticket` moves the
  // allocation it names here. `from`, when given, is the client that held it: its permissions
  // and channels are this client's from now on. An empty ticket on the allocation's own
  // 5-tuple asks for a fresh one.
  RefreshResult move(std::string_view user, std::string_view password, Bytes ticket,
                     const TurnClient* from = nullptr);
  // RFC 8656 §10.1: one CreatePermission with an XOR-PEER-ADDRESS per peer (ports ignored).
  TurnStatus create_permission(std::span<const Address> peers);
  TurnStatus create_permission(const Address& peer) { return create_permission({&peer, 1}); }
  // RFC 8656 §12.1: binds `channel` (0x4000..0x4FFF) to `peer`; also installs a permission.
  TurnStatus channel_bind(std::uint16_t channel, const Address& peer);

  // RFC 8656 §11.1: a Send indication (no response, so only the local send can fail).
  // `dont_fragment`: DONT-FRAGMENT, DF on the datagram sent to the peer (§11.1).
  bool send_indication(const Address& peer, Bytes data, bool dont_fragment = false);
  // RFC 8656 §12.4/§12.5: ChannelData on a channel bound by channel_bind(); padded to a
  // multiple of 4 over TCP.
  bool send_channel_data(std::uint16_t channel, Bytes data);
  // The next data relayed from a peer with a permission (or on a bound channel), queued or
  // newly received; nullopt on timeout or a closed connection. Other messages are dropped.
  std::optional<PeerData> receive_data(Millis timeout);

  ClientSocket& socket() { return socket_; }
  // The TCP connection to the server was closed (by the server, or unframeable bytes came).
  bool closed() const { return closed_; }
  const std::string& realm() const { return creds_.realm; }
  // ORIGIN in the requests from now on (TurnOptions::origin).
  void set_origin(std::string origin) { options_.origin = std::move(origin); }
  const std::string& nonce() const { return creds_.nonce; }
  // Bound channels (channel number, peer), in bind order.
  const std::vector<std::pair<std::uint16_t, Address>>& channels() const { return channels_; }

 private:
  using Response = std::vector<std::uint8_t>;
  // Adds the method's own attributes; credentials and FINGERPRINT are added after them.
  using AddAttributes = std::function<void(stun::MessageBuilder&)>;

  TurnStatus request(stun::Method method, const AddAttributes& add, Response* out);
  TurnStatus authenticate_allocate(const AddAttributes& add, Response* out) {
    return authenticated(stun::Method::kAllocate, add, out);
  }
  // The request, and again with the credentials when a 401 named REALM and NONCE.
  TurnStatus authenticated(stun::Method method, const AddAttributes& add, Response* out);
  Bytes build_request(stun::Method method, const AddAttributes& add,
                      const stun::TransactionId& tid);
  void add_credentials(stun::MessageBuilder& b) const;
  std::optional<Response> transact(Bytes request, const stun::TransactionId& tid,
                                   std::uint16_t method, std::string* why);
  std::optional<Response> await_response(const stun::TransactionId& tid, std::uint16_t method,
                                         TimePoint until, std::string* why);
  const char* integrity_problem(const stun::MessageView& m) const;
  TurnStatus status_of(const stun::MessageView& m) const;
  bool learn_challenge(const Response& challenge, std::string* why);
  bool take_fresh_nonce(const Response& response);
  void derive_key();

  bool queue_peer_data(const Response& message);
  std::optional<PeerData> decode_peer_data(const Response& message) const;
  bool permitted(const Address& peer) const;
  void remember_permission(const Address& peer);
  const Address* channel_peer(std::uint16_t channel) const;

  // Long-term credentials (RFC 8489 §9.2): what the caller gave and what the 401 named.
  struct Credentials {
    std::string user;
    std::string password;
    std::string realm;
    std::string nonce;
    std::vector<std::uint8_t> password_algorithms;  // PASSWORD-ALGORITHMS of the 401, echoed
    auth::MessageKey key{};
    bool known = false;  // realm and nonce learnt: requests carry MESSAGE-INTEGRITY
  };

  ClientSocket socket_;
  TurnOptions options_;
  Credentials creds_;
  bool closed_ = false;
  std::vector<Address> permissions_;  // peer IPs (port 0) with a permission
  std::vector<std::pair<std::uint16_t, Address>> channels_;
  std::deque<PeerData> queued_;
  std::vector<std::uint8_t> request_buf_;
  std::vector<std::uint8_t> data_buf_;
};

}  // namespace ferry::client
