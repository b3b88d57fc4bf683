// A RelayAllocator fake that behaves like net's RelayPool + Reservations in the ways the core
// can observe, and keeps count of what it hands out, for the stateful core fuzzer (and any test
// that wants to check that nothing leaks):
// - a small fixed port range per relay IP, ports unique among open relays and held
//   reservations (as bind() makes them), the next free port after a rotating cursor;
// - relay ids reused last-closed-first like RelayPool's free list, so a stale id names
//   another allocation's relay, as it can in the real pool;
// - EVEN-PORT reservations held 30 s, counted against `quotas` for their owner exactly like
//   net/reservations.cc (acquire on put, release on claim or when a sweep finds them lapsed),
//   capped at `max_held`, swept on reserve/claim and by sweep() (the worker's tick);
// - misuse by the core (closing an id that is not open, opening on an empty address) is
//   counted, not ignored, so that a test can assert it never happens.
// No heap allocation per call beyond the owner's name (short: no allocation either).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ferry/common/address.h"
#include "ferry/common/result.h"
#include "ferry/common/time.h"
#include "ferry/turn/egress.h"
#include "ferry/turn/quotas.h"

namespace ferry::testing {

class TrackingRelays final : public turn::RelayAllocator {
 public:
  static constexpr std::uint16_t kFirstPort = 50000;
  static constexpr std::size_t kPorts = 8;       // per relay IP: 50000..50007
  static constexpr std::size_t kMaxIds = 32;     // relay ids ever in use at once
  static constexpr std::size_t kMaxHeldCap = 8;  // reservation slots
  static constexpr Seconds kHold{30};            // RFC 8656 §7.2, as net::Reservations

  struct Slot {
    bool open = false;
    bool dont_fragment = false;
    Address address;
  };
  struct Held {
    bool used = false;
    Token token{};
    Address address;
    TimePoint expires;
    std::string owner;
    std::uint16_t realm = 0;
  };

  // Forgets everything (between fuzz inputs). `quotas` must outlive the next reset.
  void reset(turn::Quotas* quotas, std::size_t capacity, std::size_t max_held) {
    quotas_ = quotas;
    capacity_ = capacity;
    max_held_ = max_held < kMaxHeldCap ? max_held : kMaxHeldCap;
    slots_ = {};
    ids_used_ = 0;
    free_count_ = 0;
    open_count_ = 0;
    for (auto& h : held_) h = Held{};
    next_token_ = 0;
    cursor_ = 0;
    bad_closes = 0;
    bad_opens = 0;
  }

  Result<turn::Relay> open(const Address& ip, bool even_port) override {
    if (ip.empty()) {
      ++bad_opens;
      return Error{"no relay address"};
    }
    if (open_count_ >= capacity_) return Error{"capacity"};
    for (std::size_t k = 0; k < kPorts; ++k) {
      auto port = static_cast<std::uint16_t>(kFirstPort + (cursor_ + k) % kPorts);
      if (even_port && (port & 1) != 0) continue;
      Address a = ip;
      a.set_port(port);
      if (port_in_use(a)) continue;
      cursor_ = (cursor_ + k + 1) % kPorts;
      return adopt(a);
    }
    return Error{"no free relay port"};
  }

  void close(turn::RelayId id) override {
    if (id >= ids_used_ || !slots_[id].open) {
      ++bad_closes;
      return;
    }
    slots_[id].open = false;
    slots_[id].dont_fragment = false;
    free_[free_count_++] = id;
    --open_count_;
  }

  bool can_dont_fragment() const override { return true; }
  bool set_dont_fragment(turn::RelayId id) override {
    if (!is_open(id)) {
      ++bad_closes;  // misuse of an id that is not open, counted like a bad close
      return false;
    }
    slots_[id].dont_fragment = true;
    return true;
  }
  bool dont_fragment(turn::RelayId id) const { return is_open(id) && slots_[id].dont_fragment; }

  Result<Token> reserve(const Address& ip_port, std::string_view owner,
                        const turn::RealmLimits& realm, TimePoint now) override {
    // RelayPool::reserve: the port must be in the range and bindable, then Reservations::put.
    if (ip_port.empty() || ip_port.port() < kFirstPort || ip_port.port() >= kFirstPort + kPorts)
      return Error{"reserved port outside the relay range"};
    if (port_in_use(ip_port)) return Error{"port taken"};
    sweep(now);
    Held* free_slot = nullptr;
    std::size_t held = 0;
    for (auto& h : held_) {
      if (h.used) {
        ++held;
      } else if (free_slot == nullptr) {
        free_slot = &h;
      }
    }
    if (held >= max_held_ || free_slot == nullptr || !quotas_->acquire(owner, {}, realm)) {
      return Error{"reservation quota reached"};
    }
    ++next_token_;
    Token t{};
    for (std::size_t i = 0; i < t.size(); ++i)
      t[i] = static_cast<std::uint8_t>(next_token_ >> (8 * i));
    t[7] = 0xA5;  // never all zero
    free_slot->used = true;
    free_slot->token = t;
    free_slot->address = ip_port;
    free_slot->expires = now + kHold;
    free_slot->owner.assign(owner);
    free_slot->realm = realm.realm;
    return t;
  }

  Result<turn::Relay> claim(const Token& token, TimePoint now) override {
    sweep(now);
    for (auto& h : held_) {
      if (!h.used || h.token != token) continue;
      h.used = false;
      quotas_->release(h.owner, {}, h.realm);  // the claiming Allocate took its own
      return adopt(h.address);
    }
    return Error{"unknown or lapsed reservation token"};
  }

  // The worker's tick (net::Reservations::sweep): lapsed reservations give their quota back.
  void sweep(TimePoint now) {
    for (auto& h : held_) {
      if (h.used && h.expires <= now) {
        h.used = false;
        quotas_->release(h.owner, {}, h.realm);
      }
    }
  }

  std::size_t open_count() const { return open_count_; }
  std::size_t held_count() const {
    std::size_t n = 0;
    for (const auto& h : held_) n += h.used ? 1 : 0;
    return n;
  }
  std::size_t held_by(std::string_view owner) const {
    std::size_t n = 0;
    for (const auto& h : held_) n += h.used && h.owner == owner ? 1 : 0;
    return n;
  }
  bool is_held(const Token& token) const {
    for (const auto& h : held_) {
      if (h.used && h.token == token) return true;
    }
    return false;
  }
  bool is_open(turn::RelayId id) const { return id < ids_used_ && slots_[id].open; }
  const Address& address_of(turn::RelayId id) const { return slots_[id].address; }
  // Ids handed out so far (open or not): [0, ids_used()).
  std::size_t ids_used() const { return ids_used_; }
  // The open relay bound to exactly `a`, if any.
  bool open_at(const Address& a, turn::RelayId* id = nullptr) const {
    for (std::size_t i = 0; i < ids_used_; ++i) {
      if (slots_[i].open && slots_[i].address == a) {
        if (id != nullptr) *id = static_cast<turn::RelayId>(i);
        return true;
      }
    }
    return false;
  }

  std::size_t bad_closes = 0;  // close() of an id that was not open
  std::size_t bad_opens = 0;   // open() on an empty address

 private:
  bool port_in_use(const Address& a) const {
    if (open_at(a)) return true;
    for (const auto& h : held_) {
      if (h.used && h.address == a) return true;
    }
    return false;
  }
  Result<turn::Relay> adopt(const Address& a) {
    turn::RelayId id;
    if (free_count_ > 0) {
      id = free_[--free_count_];
    } else if (ids_used_ < kMaxIds) {
      id = static_cast<turn::RelayId>(ids_used_++);
    } else {
      return Error{"out of relay ids"};
    }
    slots_[id] = Slot{true, false, a};
    ++open_count_;
    return turn::Relay{id, a};
  }

  turn::Quotas* quotas_ = nullptr;
  std::size_t capacity_ = kMaxIds;
  std::size_t max_held_ = kMaxHeldCap;
  std::array<Slot, kMaxIds> slots_{};
  std::size_t ids_used_ = 0;
  std::array<turn::RelayId, kMaxIds> free_{};
  std::size_t free_count_ = 0;
  std::size_t open_count_ = 0;
  std::array<Held, kMaxHeldCap> held_{};
  std::uint64_t next_token_ = 0;
  std::size_t cursor_ = 0;
};

}  // namespace ferry::testing
