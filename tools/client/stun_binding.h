// STUN Binding transaction (RFC 8489 §6.2) over a ClientSocket, with UDP retransmissions.
#pragma once

#include <optional>
#include <string>

#include "client_socket.h"
#include "ferry/stun/message.h"

namespace ferry::client {

struct BindingOptions {
  bool fingerprint = true;
  Millis timeout{3000};
  Millis initial_rto{250};  // RFC 8489 §6.2.1 suggests 500 ms; loopback tools can go faster
};

struct BindingReply {
  Address xor_mapped;
  Address mapped;
  Address response_origin;
  std::string software;
  bool has_fingerprint = false;
  std::uint16_t error_code = 0;  // 0 for a success response
};

stun::TransactionId random_transaction_id();

// Sends a Binding request and waits for the matching response (same transaction id; others are
// ignored). nullopt with `error` on timeout or a malformed answer.
std::optional<BindingReply> binding(ClientSocket& s, const BindingOptions& o, std::string* error);

}  // namespace ferry::client
