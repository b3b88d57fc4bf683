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
#include <string>
#include <string_view>

#include "ferry/common/address.h"
#include "ferry/common/time.h"
#include "ferry/turn/quotas.h"

namespace ferry::net {

// A held port is an allocation-to-be: it costs a descriptor and a port, so it counts against
// its owner's quotas (issue 16 item 5: a user with user-quota=1 once held 188 ports), the
// number held at once is capped, and lapsed ones are closed by the workers' tick (sweep), not
// only when the next reservation happens to come.
class Reservations {
 public:
  using Token = std::array<std::uint8_t, 8>;
  struct Held {
    int fd = -1;
    Address address;
    TimePoint expires;
    std::string owner;
    std::uint16_t realm = 0;  // the owner's realm (Quotas::realm_index; 0: the configured one)
  };
  static constexpr Seconds kHold{30};  // RFC 8656 §7.2: "approximately 30 seconds"

  // `max_held`: ports held at once, all owners together.
  Reservations(turn::Quotas& quotas, std::size_t max_held) : quotas_(quotas), max_held_(max_held) {}
  ~Reservations();
  Reservations(const Reservations&) = delete;
  Reservations& operator=(const Reservations&) = delete;

  // Takes ownership of `fd` (closed on failure); returns the token (8 bytes from the CSPRNG),
  // or nothing when `owner`'s quota is used up or max_held ports are held. The port counts for
  // `owner` in `realm`, under its limits.
  std::optional<Token> put(int fd, const Address& address, std::string_view owner, TimePoint now,
                           const turn::RealmLimits& realm = {});
  // Removes and returns the reservation if it exists and has not lapsed; its owner's quota is
  // given back (the claiming Allocate takes its own).
  std::optional<Held> take(const Token& token, TimePoint now);
  // Closes lapsed reservations and gives their quota back.
  void sweep(TimePoint now);
  std::size_t size() const;

 private:
  void sweep_locked(TimePoint now);
  turn::Quotas& quotas_;
  const std::size_t max_held_;
  mutable std::mutex mu_;
  std::map<Token, Held> held_;
};

}  // namespace ferry::net
