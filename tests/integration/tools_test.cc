// The project's STUN client and an independent one (coturn's turnutils_stunclient) against
// the real server.
#include <gtest/gtest.h>

#include <unistd.h>

#include "server_process.h"

namespace ferry::testing {
namespace {

class ToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = free_port();
    server_ = std::make_unique<ServerProcess>(
        "listening-ip=127.0.0.1\nlistening-ip=::1\n"
        "listening-port=" +
            std::to_string(port_) + "\n",
        *Address::parse_ip("127.0.0.1", port_));
    ASSERT_TRUE(server_->ready()) << server_->log();
  }
  std::uint16_t port_ = 0;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ToolsTest, FerryStunclientPrintsTheMappedAddress) {
  for (const char* host : {"127.0.0.1", "::1"}) {
    for (bool tcp : {false, true}) {
      std::vector<std::string> argv{FERRY_STUNCLIENT, "-p", std::to_string(port_)};
      if (tcp) argv.push_back("--tcp");
      argv.push_back(host);
      auto r = run_program(argv);
      EXPECT_EQ(r.exit_code, 0) << r.output;
      std::string expect =
          std::string("mapped address: ") + (std::string(host) == "::1" ? "[::1]:" : "127.0.0.1:");
      EXPECT_NE(r.output.find(expect), std::string::npos) << r.output;
      EXPECT_NE(r.output.find("fingerprint: present, valid"), std::string::npos) << r.output;
    }
  }
}

TEST_F(ToolsTest, FerryStunclientReportsTimeout) {
  auto r =
      run_program({FERRY_STUNCLIENT, "-p", std::to_string(free_port()), "-T", "300", "127.0.0.1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("no response"), std::string::npos) << r.output;
}

TEST_F(ToolsTest, CoturnStunclientInterop) {
  const char* tool = "/usr/bin/turnutils_stunclient";
  if (access(tool, X_OK) != 0) GTEST_SKIP() << "coturn's client tools are not installed";
  // It prints the reflexive address it learnt from XOR-MAPPED-ADDRESS.
  auto r = run_program({tool, "-p", std::to_string(port_), "127.0.0.1"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("UDP reflexive addr: 127.0.0.1:"), std::string::npos) << r.output;
  auto r6 = run_program({tool, "-p", std::to_string(port_), "::1"});
  EXPECT_EQ(r6.exit_code, 0) << r6.output;
  EXPECT_NE(r6.output.find("UDP reflexive addr: ::1:"), std::string::npos) << r6.output;
}

}  // namespace
}  // namespace ferry::testing
