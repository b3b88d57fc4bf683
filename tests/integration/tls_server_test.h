// The fixture the TLS and DTLS suites share: a certificate for localhost and 127.0.0.1 made
// by the test itself (openssl, in a temporary directory), a plain and a TLS port, and a server
// stopped (and checked to exit cleanly) after the test.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <string>

#include "server_process.h"

namespace ferry::testing {

class TlsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access("/usr/bin/openssl", X_OK) != 0) GTEST_SKIP() << "needs /usr/bin/openssl";
    std::string log;
    auto made = make_test_certificate(dir_, &log);
    ASSERT_TRUE(made) << log;
    cert_ = made->cert;
    key_ = made->key;
  }
  void TearDown() override {
    if (server_) {
      EXPECT_EQ(server_->stop(), 0) << server_->log();
    }
  }

  TempDir dir_;
  std::string cert_;
  std::string key_;
  std::uint16_t port_ = free_port();
  std::uint16_t tls_port_ = free_port();
  std::unique_ptr<ServerProcess> server_;
};

}  // namespace ferry::testing
