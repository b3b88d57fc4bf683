// What the protocol core needs to know, built from the option table by ferry_config.
// Only ferry_config knows option names (DESIGN.md section 3).
#pragma once

#include <string>

namespace ferry::turn {

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
};

}  // namespace ferry::turn
