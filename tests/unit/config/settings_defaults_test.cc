// What an empty configuration builds (issue 16 item 6): the resource bounds are on by default,
// with the values SECURITY.md documents.
#include <gtest/gtest.h>

#include "ferry/config/config.h"
#include "ferry/config/server_settings_builder.h"

namespace ferry::config {
namespace {

TEST(SettingsDefaults, ResourceBoundsAreOnWithoutAnyOption) {
  Config cfg;
  std::vector<Diagnostic> d;
  ProcessSettings p = build_process_settings(cfg, d);
  EXPECT_EQ(p.server.user_quota, 1000u);
  EXPECT_EQ(p.server.total_quota, 32768u);
  EXPECT_EQ(p.server.per_ip_quota, 1000u);
  EXPECT_EQ(p.server.max_tcp_connections_per_ip, 256u);
  EXPECT_EQ(p.server.turn.max_permissions, 128u);
  EXPECT_EQ(p.server.turn.max_channels, 128u);
  EXPECT_EQ(p.server.turn.unauthenticated_response_rate, 200u);
  EXPECT_EQ(p.server.tcp_frame_deadline, Seconds(10));
  EXPECT_EQ(p.server.tcp_stall_timeout, Seconds(30));
  EXPECT_EQ(p.server.tcp_output_limit, 65536u);
  EXPECT_EQ(p.server.tcp_output_budget, 64u * 1024 * 1024);
}

TEST(SettingsDefaults, ZeroTurnsAQuotaOff) {
  Config cfg;
  cfg.set("user-quota", "0", "test");
  cfg.set("total-quota", "0", "test");
  cfg.set("max-allocations-per-ip", "0", "test");
  std::vector<Diagnostic> d;
  ProcessSettings p = build_process_settings(cfg, d);
  EXPECT_EQ(p.server.user_quota, 0u);
  EXPECT_EQ(p.server.total_quota, 0u);
  EXPECT_EQ(p.server.per_ip_quota, 0u);
}

}  // namespace
}  // namespace ferry::config
