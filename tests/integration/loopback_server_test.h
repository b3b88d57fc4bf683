// The fixture the TURN integration suites share: a real turnserver on 127.0.0.1 for one test,
// stopped (and checked to exit cleanly) after it, and TURN clients of it.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "client/turn_client.h"
#include "server_process.h"

namespace ferry::testing {

class LoopbackServerTest : public ::testing::Test {
 protected:
  // Starts the server on a free port with the configuration `config(port)` makes.
  void launch(const std::function<std::string(std::uint16_t port)>& config) {
    port_ = free_port();
    server_ = std::make_unique<ServerProcess>(config(port_), server_address());
    ASSERT_TRUE(server_->ready()) << server_->log();
  }
  void TearDown() override {
    if (server_) {
      EXPECT_EQ(server_->stop(), 0) << server_->log();
    }
  }
  Address server_address() const { return *Address::parse_ip("127.0.0.1", port_); }
  client::TurnClient client(Transport t, client::TurnOptions options = {}) {
    std::string err;
    auto s = client::ClientSocket::open(t, server_address(), &err);
    EXPECT_TRUE(s) << err;
    return client::TurnClient(std::move(*s), options);
  }
  // The status of one fresh UDP Allocate (0: success), released at once.
  std::uint16_t try_allocate(const std::string& user, const std::string& pass) {
    auto c = client(Transport::kUdp);
    auto a = c.allocate(user, pass, 600);
    if (a.ok) {
      (void)c.refresh(0);
      return 0;
    }
    return a.error_code != 0 ? a.error_code : 1;
  }
  // Polls until an Allocate of `user` gets `want` (0: success): the seconds that took, or -1
  // when it never did within `limit` (changes a server picks up by itself: databases).
  double until(const std::string& user, const std::string& pass, std::uint16_t want,
               std::chrono::milliseconds limit = std::chrono::milliseconds(6000)) {
    const auto started = Clock::now();
    while (Clock::now() - started < limit) {
      if (try_allocate(user, pass) == want) {
        return std::chrono::duration<double>(Clock::now() - started).count();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return -1;
  }
  // A TURN REST user name "<expiry>:<name>" valid for ten minutes.
  static std::string rest_user(const std::string& name) {
    const auto expiry = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count() +
                        600;
    return std::to_string(expiry) + ":" + name;
  }
  std::uint16_t port_ = 0;
  std::unique_ptr<ServerProcess> server_;
};

}  // namespace ferry::testing
