// Relay ports held by EVEN-PORT's R bit (RFC 8656 §7.2), shared by every worker: the Allocate that
// presents the token usually comes from another client port, so the kernel may hand it to another
// worker. A held port is a bound socket not yet on any event loop; claiming it moves the
// descriptor to the claiming worker's loop. Touched per reservation, never per packet.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>

#include "ferry/common/address.h"
#include "ferry/common/time.h"

namespace ferry::net {

class Reservations {
 public:
  using Token = std::array<std::uint8_t, 8>;
  struct Held {
    int fd = -1;
    Address address;
    TimePoint expires;
  };
  static constexpr Seconds kHold{30};  // RFC 8656 §7.2: "approximately 30 seconds"

  Reservations() = default;
  ~Reservations();
  Reservations(const Reservations&) = delete;
  Reservations& operator=(const Reservations&) = delete;

  // Takes ownership of `fd`; returns the token (8 bytes from the CSPRNG).
  Token put(int fd, const Address& address, TimePoint now);
  // Removes and returns the reservation if it exists and has not lapsed. Lapsed ones are closed.
  std::optional<Held> take(const Token& token, TimePoint now);
  std::size_t size() const;

 private:
  void sweep(TimePoint now);  // with mu_ held
  mutable std::mutex mu_;
  std::map<Token, Held> held_;
};

}  // namespace ferry::net
