// A UDP echo peer on a loopback address (127.0.0.1 unless told, ::1 for IPv6 relays), running
// on its own thread for the length of a test: every datagram goes back to where it came from.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <thread>

#include "ferry/common/address.h"

namespace ferry::testing {

class EchoPeer {
 public:
  explicit EchoPeer(const char* ip = "127.0.0.1") {
    auto a = *Address::parse_ip(ip, 0);
    fd_ = socket(a.is_v6() ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_storage ss;
    socklen_t len = a.to_sockaddr(&ss);
    bind(fd_, reinterpret_cast<sockaddr*>(&ss), len);
    sockaddr_storage me;
    socklen_t mlen = sizeof me;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&me), &mlen);
    address_ = Address::from_sockaddr(reinterpret_cast<sockaddr*>(&me), mlen);
    thread_ = std::thread([this] { run(); });
  }
  ~EchoPeer() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  const Address& address() const { return address_; }
  int echoed() const { return echoed_; }
  Address last_source() const { return last_source_; }

 private:
  void run() {
    std::uint8_t buf[4096];
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      sockaddr_storage from;
      socklen_t flen = sizeof from;
      ssize_t n = recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &flen);
      if (n < 0) continue;
      last_source_ = Address::from_sockaddr(reinterpret_cast<sockaddr*>(&from), flen);
      sendto(fd_, buf, static_cast<std::size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), flen);
      ++echoed_;
    }
  }
  int fd_ = -1;
  Address address_;
  std::atomic<bool> stop_{false};
  std::atomic<int> echoed_{0};
  Address last_source_;
  std::thread thread_;
};

}  // namespace ferry::testing
