// The fixture the TURN integration suites share: a real turnserver on 127.0.0.1 for one test,
// stopped (and checked to exit cleanly) after it, and TURN clients of it.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

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
  std::uint16_t port_ = 0;
  std::unique_ptr<ServerProcess> server_;
};

}  // namespace ferry::testing
