// The core's Binding and error handling with a fake Egress: no sockets, no clock.
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "core_harness.h"
#include "ferry/stun/attributes.h"
#include "ferry/stun/message.h"
#include "ferry/turn/dispatcher.h"

namespace ferry::turn {
namespace {

class ServerBindingTest : public ::testing::Test {
 protected:
  FiveTuple tuple() const {
    return {*Address::parse_endpoint("198.51.100.7:40000"),
            *Address::parse_endpoint("192.0.2.1:3478"), Transport::kUdp};
  }
  Bytes request(std::uint16_t method, stun::Class cls, bool fingerprint = false,
                std::uint16_t extra_attr = 0) {
    stun::MessageBuilder b(req_buf_, method, cls, tid_);
    if (extra_attr != 0) {
      const std::array<std::uint8_t, 4> v{};
      b.add_raw(extra_attr, v);
    }
    if (fingerprint) b.add_fingerprint();
    return b.finish();
  }
  void SetUp() override { h_.start(); }
  void on_packet(const FiveTuple& t, Bytes packet) {
    h_.server->on_client_packet(t, packet, h_.now);
  }
  stun::MessageView only_reply() {
    EXPECT_EQ(h_.egress.client.size(), 1u);
    const auto& d = h_.egress.client.at(0).data;
    auto m = stun::MessageView::parse(Bytes(d.data(), d.size()));
    EXPECT_TRUE(m);
    return *m;
  }

  testing::CoreHarness h_;
  Settings& settings_ = h_.settings;
  std::array<std::uint8_t, 256> req_buf_{};
  stun::TransactionId tid_{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
};

TEST_F(ServerBindingTest, AnswersWithXorMappedMappedOriginAndSoftware) {
  on_packet(tuple(), request(0x001, stun::Class::kRequest));
  auto m = only_reply();
  EXPECT_TRUE(m.is(stun::Method::kBinding, stun::Class::kSuccess));
  EXPECT_EQ(m.transaction_id(), tid_);
  EXPECT_EQ(m.get<stun::attr::XorMappedAddress>()->address, tuple().client);
  EXPECT_EQ(m.get<stun::attr::MappedAddress>()->address, tuple().client);
  EXPECT_EQ(m.get<stun::attr::ResponseOrigin>()->address, tuple().server);
  EXPECT_EQ(m.get<stun::attr::Software>()->value, "Ferry");
  EXPECT_FALSE(m.has_fingerprint());
  EXPECT_EQ(h_.egress.client[0].tuple, tuple());
  EXPECT_EQ(h_.server->counters().binding_requests.get(), 1u);
}

TEST_F(ServerBindingTest, FingerprintWhenRequestHasOneOrConfigured) {
  on_packet(tuple(), request(0x001, stun::Class::kRequest, true));
  EXPECT_TRUE(only_reply().has_fingerprint());
  h_.egress.clear();
  settings_.fingerprint = true;
  on_packet(tuple(), request(0x001, stun::Class::kRequest));
  EXPECT_TRUE(only_reply().has_fingerprint());
}

TEST_F(ServerBindingTest, OptionsRemoveSoftwareMappedAddressAndOrigin) {
  settings_.software = false;
  settings_.stun_backward_compatibility = false;
  settings_.response_origin = false;
  on_packet(tuple(), request(0x001, stun::Class::kRequest));
  auto m = only_reply();
  EXPECT_TRUE(m.has<stun::attr::XorMappedAddress>());
  EXPECT_FALSE(m.has<stun::attr::MappedAddress>());
  EXPECT_FALSE(m.has<stun::attr::ResponseOrigin>());
  EXPECT_FALSE(m.has<stun::attr::Software>());
}

TEST_F(ServerBindingTest, Ipv6ClientGetsIpv6Address) {
  FiveTuple t{*Address::parse_endpoint("[2001:db8::5]:1234"),
              *Address::parse_endpoint("[2001:db8::1]:3478"), Transport::kTcp};
  on_packet(t, request(0x001, stun::Class::kRequest));
  EXPECT_EQ(only_reply().get<stun::attr::XorMappedAddress>()->address, t.client);
}

TEST_F(ServerBindingTest, UnknownRequiredAttributeGets420WithTheList) {
  on_packet(tuple(), request(0x001, stun::Class::kRequest, false, 0x7ABC));
  auto m = only_reply();
  EXPECT_EQ(m.cls(), stun::Class::kError);
  EXPECT_EQ(m.get<stun::attr::ErrorCode>()->code, 420);
  auto ua = m.get<stun::attr::UnknownAttributes>();
  ASSERT_TRUE(ua);
  ASSERT_EQ(ua->count, 1u);
  EXPECT_EQ(ua->types[0], 0x7ABC);
  // The exact answer (RFC 8489 §6.3.1.1, §14.8, §14.13): ERROR-CODE 420 with the standard
  // phrase, UNKNOWN-ATTRIBUTES, then SOFTWARE; no MESSAGE-INTEGRITY, no FINGERPRINT.
  // clang-format off
  const std::vector<std::uint8_t> expected = {
      0x01, 0x11, 0x00, 0x30, 0x21, 0x12, 0xA4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
      0x00, 0x09, 0x00, 0x15, 0x00, 0x00, 0x04, 0x14, 'U', 'n', 'k', 'n', 'o', 'w', 'n', ' ',
      'A', 't', 't', 'r', 'i', 'b', 'u', 't', 'e', 0, 0, 0,
      0x00, 0x0A, 0x00, 0x02, 0x7A, 0xBC, 0, 0,
      0x80, 0x22, 0x00, 0x05, 'F', 'e', 'r', 'r', 'y', 0, 0, 0};
  // clang-format on
  EXPECT_EQ(h_.egress.client.at(0).data, expected);
}

TEST_F(ServerBindingTest, IndicationsResponsesAndGarbageGetNothing) {
  on_packet(tuple(), request(0x001, stun::Class::kIndication));
  on_packet(tuple(), request(0x001, stun::Class::kSuccess));
  on_packet(tuple(), request(0x001, stun::Class::kError));
  const std::array<std::uint8_t, 5> junk{1, 2, 3, 4, 5};
  on_packet(tuple(), junk);
  // An indication with an unknown required attribute is dropped, never answered with 420.
  on_packet(tuple(), request(0x001, stun::Class::kIndication, false, 0x7ABC));
  EXPECT_TRUE(h_.egress.client.empty());
  EXPECT_EQ(h_.server->counters().dropped_malformed.get(), 1u);
}

TEST_F(ServerBindingTest, Rfc3489RequestGetsClassicAnswerOrNothing) {
  std::array<std::uint8_t, 20> classic{0x00, 0x01, 0x00, 0x00, 9, 9, 9, 9,  1,  2,
                                       3,    4,    5,    6,    7, 8, 9, 10, 11, 12};
  on_packet(tuple(), classic);
  auto m = only_reply();
  EXPECT_TRUE(m.rfc3489());
  EXPECT_EQ(m.get<stun::attr::MappedAddress>()->address, tuple().client);
  EXPECT_FALSE(m.has<stun::attr::XorMappedAddress>());
  h_.egress.clear();
  settings_.stun_backward_compatibility = false;
  on_packet(tuple(), classic);
  EXPECT_TRUE(h_.egress.client.empty());
}

// RFC 3489 has no TURN: a classic (cookie-less) Allocate, or a classic request with an unknown
// required attribute, gets no RFC 5389-form answer its client could not match (fuzz_core
// found the 401 and the 420 answering with 12 of the 16 id bytes).
TEST_F(ServerBindingTest, Rfc3489RequestsOtherThanBindingGetNoAnswer) {
  settings_.turn_enabled = true;
  std::array<std::uint8_t, 20> allocate{0x00, 0x03, 0x00, 0x00, 9, 9, 9, 9,  1,  2,
                                        3,    4,    5,    6,    7, 8, 9, 10, 11, 12};
  on_packet(tuple(), allocate);
  std::array<std::uint8_t, 28> unknown_attr{0x00, 0x01, 0x00, 0x08, 9, 9, 9, 9,  1,  2,
                                            3,    4,    5,    6,    7, 8, 9, 10, 11, 12,
                                            0x7A, 0xBC, 0x00, 0x04, 0, 0, 0, 0};
  on_packet(tuple(), unknown_attr);
  EXPECT_TRUE(h_.egress.client.empty());
}

TEST_F(ServerBindingTest, TurnIsRefusedWith403WhenNoCredentialsAreConfigured) {
  on_packet(tuple(), request(0x003, stun::Class::kRequest));
  auto m = only_reply();
  EXPECT_EQ(m.cls(), stun::Class::kError);
  EXPECT_EQ(m.method(), 0x003);
  EXPECT_EQ(m.get<stun::attr::ErrorCode>()->code, 403);
}

}  // namespace
}  // namespace ferry::turn
