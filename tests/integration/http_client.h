// A minimal HTTP/1.1 client for integration tests: one request per connection, optional TLS
// (certificate not verified: the tests make their own self-signed one).
#pragma once

#include <map>
#include <optional>
#include <string>

#include "ferry/common/address.h"
#include "ferry/common/time.h"

namespace ferry::testing {

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

// Sends `raw` as the whole request and reads until the server closes (Connection: close).
std::optional<HttpReply> http_exchange(const Address& server, const std::string& raw, bool tls,
                                       Millis timeout = Millis(3000));
// GET `path`, retried until the listener answers or `timeout` passes (it starts just after
// the STUN/TURN sockets).
std::optional<HttpReply> http_get(const Address& server, const std::string& path, bool tls = false,
                                  Millis timeout = Millis(3000));

}  // namespace ferry::testing
