// coturn's `no-software-attribute` (issue 16 item 10): SOFTWARE (RFC 8489 §14.14) leaves no
// response, whichever path built it: Binding, challenges, errors without and with
// MESSAGE-INTEGRITY, successes. It tells an attacker the server and its version, and makes
// every unauthenticated answer (what a reflection attack obtains) longer.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>

#include "core_harness.h"
#include "ferry/stun/attributes.h"
#include "ferry/stun/message.h"
#include "ferry/turn/dispatcher.h"
#include "turn_client_fake.h"

namespace ferry::turn {
namespace {

using testing::Reply;
using testing::TurnClient;

class SoftwareAttributeTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    testing::enable_turn(h);
    h.settings.software = GetParam();
    h.settings.software_name = "Ferry/9.9";
    h.start();
  }
  // The answer to a raw request from `t` (empty when none).
  Reply raw(const FiveTuple& t, std::uint16_t method, std::uint16_t extra_attr = 0) {
    stun::MessageBuilder b(buf_, method, stun::Class::kRequest, tid_);
    if (method == static_cast<std::uint16_t>(stun::Method::kAllocate)) TurnClient::udp()(b);
    if (extra_attr != 0) {
      const std::array<std::uint8_t, 4> v{};
      b.add_raw(extra_attr, v);
    }
    const std::size_t before = h.egress.client.size();
    h.server->on_client_packet(t, b.finish(), h.now);
    return h.egress.client.size() > before ? Reply(h.egress.client.back().data) : Reply();
  }
  void expect_software(const Reply& r, const char* what) {
    ASSERT_TRUE(r.ok()) << what << ": no answer";
    EXPECT_EQ(r.get<stun::attr::Software>().has_value(), GetParam()) << what;
    if (GetParam()) {
      EXPECT_EQ(r.get<stun::attr::Software>()->value, "Ferry/9.9") << what;
    }
  }

  testing::CoreHarness h;
  FiveTuple udp = testing::udp_tuple("198.51.100.7:40000");
  std::array<std::uint8_t, 256> buf_{};
  stun::TransactionId tid_{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
};

TEST_P(SoftwareAttributeTest, EveryKindOfResponse) {
  expect_software(raw(udp, 0x001), "Binding success");
  expect_software(raw(testing::tcp_tuple("198.51.100.7:40001"), 0x001), "Binding over TCP");
  expect_software(raw(udp, 0x001, 0x7FFE), "420");
  expect_software(raw(udp, 0x00A), "400 (unknown method)");

  TurnClient alice{h, udp};
  Reply challenge = alice.challenge();
  EXPECT_EQ(challenge.error(), 401);
  expect_software(challenge, "401");
  Reply no_allocation = alice.refresh(600);
  EXPECT_EQ(no_allocation.error(), 437);
  EXPECT_TRUE(no_allocation.integrity_ok(alice.key()));
  expect_software(no_allocation, "437 with MESSAGE-INTEGRITY");
  Reply allocated = alice.allocate();
  ASSERT_TRUE(allocated.success());
  expect_software(allocated, "Allocate success");
  expect_software(alice.refresh(600), "Refresh success");

  h.settings.turn_enabled = false;
  h.start();
  Reply forbidden = raw(udp, 0x003);
  EXPECT_EQ(forbidden.error(), 403);
  expect_software(forbidden, "403 (TURN off)");
}

// SOFTWARE is the last attribute before MESSAGE-INTEGRITY and FINGERPRINT, so leaving it out
// must keep both valid.
TEST_P(SoftwareAttributeTest, IntegrityAndFingerprintStayValid) {
  h.settings.fingerprint = true;
  h.start();
  TurnClient alice{h, udp};
  Reply r = alice.allocate();
  ASSERT_TRUE(r.success());
  EXPECT_TRUE(r.integrity_ok(alice.key()));
  EXPECT_TRUE(r.msg().has_fingerprint());
}

std::string param_name(const ::testing::TestParamInfo<bool>& p) {
  return p.param ? "Software" : "NoSoftware";
}
INSTANTIATE_TEST_SUITE_P(WithAndWithout, SoftwareAttributeTest, ::testing::Bool(), param_name);

}  // namespace
}  // namespace ferry::turn
