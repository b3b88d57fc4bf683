// The core's Binding and error handling with a fake Egress: no sockets, no clock.
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "ferry/stun/attributes.h"
#include "ferry/stun/message.h"
#include "ferry/turn/server.h"

namespace ferry::turn {
namespace {

struct FakeEgress : Egress {
  struct Sent {
    FiveTuple tuple;
    std::vector<std::uint8_t> data;
  };
  std::vector<Sent> sent;
  void to_client(const FiveTuple& t, Bytes d) override {
    sent.push_back({t, std::vector<std::uint8_t>(d.begin(), d.end())});
  }
};

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
  stun::MessageView only_reply() {
    EXPECT_EQ(egress_.sent.size(), 1u);
    const auto& d = egress_.sent.at(0).data;
    auto m = stun::MessageView::parse(Bytes(d.data(), d.size()));
    EXPECT_TRUE(m);
    return *m;
  }

  Settings settings_;
  FakeEgress egress_;
  Server server_{settings_, egress_};
  std::array<std::uint8_t, 256> req_buf_{};
  stun::TransactionId tid_{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  TimePoint now_{};
};

TEST_F(ServerBindingTest, AnswersWithXorMappedMappedOriginAndSoftware) {
  server_.on_client_packet(tuple(), request(0x001, stun::Class::kRequest), now_);
  auto m = only_reply();
  EXPECT_TRUE(m.is(stun::Method::kBinding, stun::Class::kSuccess));
  EXPECT_EQ(m.transaction_id(), tid_);
  EXPECT_EQ(m.get<stun::attr::XorMappedAddress>()->address, tuple().client);
  EXPECT_EQ(m.get<stun::attr::MappedAddress>()->address, tuple().client);
  EXPECT_EQ(m.get<stun::attr::ResponseOrigin>()->address, tuple().server);
  EXPECT_EQ(m.get<stun::attr::Software>()->value, "Ferry");
  EXPECT_FALSE(m.has_fingerprint());
  EXPECT_EQ(egress_.sent[0].tuple, tuple());
  EXPECT_EQ(server_.counters().binding_requests, 1u);
}

TEST_F(ServerBindingTest, FingerprintWhenRequestHasOneOrConfigured) {
  server_.on_client_packet(tuple(), request(0x001, stun::Class::kRequest, true), now_);
  EXPECT_TRUE(only_reply().has_fingerprint());
  egress_.sent.clear();
  settings_.fingerprint = true;
  server_.on_client_packet(tuple(), request(0x001, stun::Class::kRequest), now_);
  EXPECT_TRUE(only_reply().has_fingerprint());
}

TEST_F(ServerBindingTest, OptionsRemoveSoftwareMappedAddressAndOrigin) {
  settings_.software = false;
  settings_.stun_backward_compatibility = false;
  settings_.response_origin = false;
  server_.on_client_packet(tuple(), request(0x001, stun::Class::kRequest), now_);
  auto m = only_reply();
  EXPECT_TRUE(m.has<stun::attr::XorMappedAddress>());
  EXPECT_FALSE(m.has<stun::attr::MappedAddress>());
  EXPECT_FALSE(m.has<stun::attr::ResponseOrigin>());
  EXPECT_FALSE(m.has<stun::attr::Software>());
}

TEST_F(ServerBindingTest, Ipv6ClientGetsIpv6Address) {
  FiveTuple t{*Address::parse_endpoint("[2001:db8::5]:1234"),
              *Address::parse_endpoint("[2001:db8::1]:3478"), Transport::kTcp};
  server_.on_client_packet(t, request(0x001, stun::Class::kRequest), now_);
  EXPECT_EQ(only_reply().get<stun::attr::XorMappedAddress>()->address, t.client);
}

TEST_F(ServerBindingTest, UnknownRequiredAttributeGets420WithTheList) {
  server_.on_client_packet(tuple(), request(0x001, stun::Class::kRequest, false, 0x7ABC), now_);
  auto m = only_reply();
  EXPECT_EQ(m.cls(), stun::Class::kError);
  EXPECT_EQ(m.get<stun::attr::ErrorCode>()->code, 420);
  auto ua = m.get<stun::attr::UnknownAttributes>();
  ASSERT_TRUE(ua);
  ASSERT_EQ(ua->count, 1u);
  EXPECT_EQ(ua->types[0], 0x7ABC);
}

TEST_F(ServerBindingTest, IndicationsResponsesAndGarbageGetNothing) {
  server_.on_client_packet(tuple(), request(0x001, stun::Class::kIndication), now_);
  server_.on_client_packet(tuple(), request(0x001, stun::Class::kSuccess), now_);
  server_.on_client_packet(tuple(), request(0x001, stun::Class::kError), now_);
  const std::array<std::uint8_t, 5> junk{1, 2, 3, 4, 5};
  server_.on_client_packet(tuple(), junk, now_);
  // An indication with an unknown required attribute is dropped, never answered with 420.
  server_.on_client_packet(tuple(), request(0x001, stun::Class::kIndication, false, 0x7ABC), now_);
  EXPECT_TRUE(egress_.sent.empty());
  EXPECT_EQ(server_.counters().dropped_malformed, 1u);
}

TEST_F(ServerBindingTest, Rfc3489RequestGetsClassicAnswerOrNothing) {
  std::array<std::uint8_t, 20> classic{0x00, 0x01, 0x00, 0x00, 9, 9, 9, 9, 1, 2,
                                       3,    4,    5,    6,    7, 8, 9, 10, 11, 12};
  server_.on_client_packet(tuple(), classic, now_);
  auto m = only_reply();
  EXPECT_TRUE(m.rfc3489());
  EXPECT_EQ(m.get<stun::attr::MappedAddress>()->address, tuple().client);
  EXPECT_FALSE(m.has<stun::attr::XorMappedAddress>());
  egress_.sent.clear();
  settings_.stun_backward_compatibility = false;
  server_.on_client_packet(tuple(), classic, now_);
  EXPECT_TRUE(egress_.sent.empty());
}

TEST_F(ServerBindingTest, OtherMethodsGet400UntilTheRelayCoreExists) {
  server_.on_client_packet(tuple(), request(0x003, stun::Class::kRequest), now_);
  auto m = only_reply();
  EXPECT_EQ(m.cls(), stun::Class::kError);
  EXPECT_EQ(m.method(), 0x003);
  EXPECT_EQ(m.get<stun::attr::ErrorCode>()->code, 400);
}

}  // namespace
}  // namespace ferry::turn
