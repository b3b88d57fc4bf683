// RFC 5780 NAT behaviour discovery in the core (rfc5780): OTHER-ADDRESS and RESPONSE-ORIGIN,
// CHANGE-REQUEST's sources (§6 Table 1), RESPONSE-PORT, PADDING that never amplifies, and
// the 420/400 answers when a request asks for what cannot be done.
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "core_harness.h"
#include "ferry/stun/attributes.h"
#include "ferry/stun/message.h"
#include "ferry/turn/dispatcher.h"

namespace ferry::turn {
namespace {

namespace attr = stun::attr;

Address ep(const char* s) {
  return *Address::parse_endpoint(s);
}

class NatDiscoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h_.settings.nat.partners = {{ep("192.0.2.1:0"), ep("192.0.2.2:0")}};
    h_.settings.nat.port = 3478;
    h_.settings.nat.alt_port = 3479;
    h_.start();
  }
  FiveTuple tuple(const char* server = "192.0.2.1:3478", Transport tr = Transport::kUdp) const {
    return {ep("198.51.100.7:40000"), ep(server), tr};
  }
  // A Binding request with what `add` puts in.
  template <class Fn>
  void binding(const FiveTuple& t, Fn&& add) {
    stun::MessageBuilder b(buf_, 0x001, stun::Class::kRequest, tid_);
    add(b);
    Bytes req = b.finish();
    request_size_ = req.size();
    h_.server->on_client_packet(t, req, h_.now);
  }
  stun::MessageView only_reply() {
    EXPECT_EQ(h_.egress.client.size(), 1u);
    const auto& d = h_.egress.client.at(0).data;
    auto m = stun::MessageView::parse(Bytes(d.data(), d.size()));
    EXPECT_TRUE(m);
    return *m;
  }
  const FiveTuple& sent_to() const { return h_.egress.client.at(0).tuple; }

  testing::CoreHarness h_;
  std::array<std::uint8_t, 2048> buf_{};
  std::size_t request_size_ = 0;
  stun::TransactionId tid_{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
};

TEST_F(NatDiscoveryTest, EveryBindingResponseNamesTheOtherAddressAndItsOrigin) {
  binding(tuple(), [](auto&) {});
  auto m = only_reply();
  EXPECT_EQ(m.get<attr::OtherAddress>()->address, ep("192.0.2.2:3479"));
  EXPECT_EQ(m.get<attr::ResponseOrigin>()->address, ep("192.0.2.1:3478"));
  EXPECT_EQ(m.get<attr::MappedAddress>()->address, tuple().client);  // §6.1: both
  EXPECT_EQ(m.get<attr::XorMappedAddress>()->address, tuple().client);
  EXPECT_EQ(sent_to(), tuple());
  // From the partner on the alternate port, the other is A1:P1.
  h_.egress.clear();
  binding(tuple("192.0.2.2:3479"), [](auto&) {});
  EXPECT_EQ(only_reply().get<attr::OtherAddress>()->address, ep("192.0.2.1:3478"));
}

// RFC 5780 §6 Table 1.
TEST_F(NatDiscoveryTest, ChangeRequestPicksTheSource) {
  struct Case {
    bool ip, port;
    const char* from;
  };
  for (const Case& c : {Case{false, false, "192.0.2.1:3478"}, Case{true, false, "192.0.2.2:3478"},
                        Case{false, true, "192.0.2.1:3479"}, Case{true, true, "192.0.2.2:3479"}}) {
    h_.egress.clear();
    binding(tuple(), [&](stun::MessageBuilder& b) { b.add(attr::ChangeRequest{c.ip, c.port}); });
    auto m = only_reply();
    ASSERT_TRUE(m.is(stun::Method::kBinding, stun::Class::kSuccess));
    EXPECT_EQ(sent_to().server, ep(c.from)) << c.ip << c.port;
    EXPECT_EQ(sent_to().client, tuple().client);
    EXPECT_EQ(m.get<attr::ResponseOrigin>()->address, ep(c.from));
    EXPECT_EQ(m.get<attr::OtherAddress>()->address, ep("192.0.2.2:3479"));
  }
}

TEST_F(NatDiscoveryTest, ResponsePortSendsToThatPortOfTheSameAddress) {
  binding(tuple(), [](stun::MessageBuilder& b) { b.add(attr::ResponsePort{5555}); });
  ASSERT_TRUE(only_reply().is(stun::Method::kBinding, stun::Class::kSuccess));
  EXPECT_EQ(sent_to().client, ep("198.51.100.7:5555"));
  EXPECT_EQ(sent_to().server, tuple().server);
}

// §6.1 asks for the MTU; Ferry answers with the request's own padding, so a spoofed request
// cannot buy a larger answer.
TEST_F(NatDiscoveryTest, PaddingNeverMakesTheAnswerMuchLargerThanTheRequest) {
  for (std::size_t pad : {std::size_t{0}, std::size_t{100}, std::size_t{1400}, std::size_t{1900}}) {
    h_.egress.clear();
    std::vector<std::uint8_t> zeros(pad);
    binding(tuple(), [&](stun::MessageBuilder& b) {
      b.add(attr::Padding{Bytes(zeros.data(), zeros.size())});
    });
    auto m = only_reply();
    ASSERT_TRUE(m.has<attr::Padding>()) << pad;
    EXPECT_EQ(m.get<attr::Padding>()->value.size(), std::min<std::size_t>(pad, 1472) & ~3u);
    // The answer's own attributes (about 100 bytes) are all it adds.
    EXPECT_LE(h_.egress.client[0].data.size(), request_size_ + 120) << pad;
  }
}

TEST_F(NatDiscoveryTest, PaddingWithResponsePortIs400) {
  std::vector<std::uint8_t> zeros(64);
  binding(tuple(), [&](stun::MessageBuilder& b) {
    b.add(attr::Padding{Bytes(zeros.data(), zeros.size())});
    b.add(attr::ResponsePort{5555});
  });
  auto m = only_reply();
  ASSERT_TRUE(m.get<attr::ErrorCode>());
  EXPECT_EQ(m.get<attr::ErrorCode>()->code, 400);
  EXPECT_EQ(sent_to(), tuple());  // the error goes back the way the request came
}

// A family without a second address, and streams, cannot change the source: 420.
TEST_F(NatDiscoveryTest, NoAlternateMeans420ForChangeRequest) {
  const FiveTuple v6{ep("[2001:db8::7]:40000"), ep("[2001:db8::1]:3478"), Transport::kUdp};
  binding(v6, [](stun::MessageBuilder& b) { b.add(attr::ChangeRequest{true, false}); });
  auto m = only_reply();
  ASSERT_TRUE(m.get<attr::ErrorCode>());
  EXPECT_EQ(m.get<attr::ErrorCode>()->code, 420);
  ASSERT_TRUE(m.get<attr::UnknownAttributes>());
  EXPECT_EQ(m.get<attr::UnknownAttributes>()->types[0], attr::ChangeRequest::kType);
  h_.egress.clear();
  binding(tuple("192.0.2.1:3478", Transport::kTcp), [](stun::MessageBuilder& b) {
    b.add(attr::ChangeRequest{false, true});
  });
  EXPECT_EQ(only_reply().get<attr::ErrorCode>()->code, 420);
  // Over TCP no OTHER-ADDRESS is offered either.
  h_.egress.clear();
  binding(tuple("192.0.2.1:3478", Transport::kTcp), [](auto&) {});
  EXPECT_FALSE(only_reply().has<attr::OtherAddress>());
}

// alt-tls-listening-port: over TLS and DTLS, OTHER-ADDRESS names the partner and the other
// port of the TLS pair; CHANGE-REQUEST stays UDP's (a stream's source cannot change, and a
// DTLS answer from another address would belong to no session).
TEST_F(NatDiscoveryTest, TlsAndDtlsLearnTheOtherAddressOfTheirOwnPortPair) {
  h_.settings.nat.tls_port = 5349;
  h_.settings.nat.alt_tls_port = 5350;
  h_.start();
  for (Transport tr : {Transport::kTls, Transport::kDtls}) {
    h_.egress.clear();
    binding(tuple("192.0.2.1:5349", tr), [](auto&) {});
    EXPECT_EQ(only_reply().get<attr::OtherAddress>()->address, ep("192.0.2.2:5350"));
    h_.egress.clear();
    binding(tuple("192.0.2.2:5350", tr), [](auto&) {});
    EXPECT_EQ(only_reply().get<attr::OtherAddress>()->address, ep("192.0.2.1:5349"));
    h_.egress.clear();
    binding(tuple("192.0.2.1:5349", tr), [](stun::MessageBuilder& b) {
      b.add(attr::ChangeRequest{true, true});
    });
    EXPECT_EQ(only_reply().get<attr::ErrorCode>()->code, 420);
  }
  // Without the TLS pair (TLS off), none.
  h_.settings.nat.alt_tls_port = 0;
  h_.start();
  h_.egress.clear();
  binding(tuple("192.0.2.1:5349", Transport::kTls), [](auto&) {});
  EXPECT_FALSE(only_reply().has<attr::OtherAddress>());
}

// RFC 3489's classic form (no magic cookie): CHANGE-REQUEST is honoured too, with
// SOURCE-ADDRESS and CHANGED-ADDRESS (RFC 3489 §11.2.3, §11.2.5).
std::array<std::uint8_t, 28> classic_change(bool ip, bool port) {
  return {0x00, 0x01, 0x00, 0x08, 9,  9,  9,
          9,    1,    2,    3,    4,  5,  6,
          7,    8,    9,    10,   11, 12, 0x00,
          0x03, 0x00, 0x04, 0,    0,  0,  static_cast<std::uint8_t>((ip ? 4 : 0) | (port ? 2 : 0))};
}

TEST_F(NatDiscoveryTest, ClassicChangeRequestIsHonoured) {
  auto req = classic_change(true, true);
  h_.server->on_client_packet(tuple(), req, h_.now);
  auto m = only_reply();
  EXPECT_TRUE(m.rfc3489());
  EXPECT_EQ(sent_to().server, ep("192.0.2.2:3479"));
  EXPECT_EQ(m.get<attr::SourceAddress>()->address, ep("192.0.2.2:3479"));
  EXPECT_EQ(m.get<attr::ChangedAddress>()->address, ep("192.0.2.2:3479"));
  EXPECT_EQ(m.get<attr::MappedAddress>()->address, tuple().client);
}

class NatDiscoveryOffTest : public NatDiscoveryTest {
 protected:
  void SetUp() override { h_.start(); }
};

// RFC 5780 §6: a server without an alternate address answers CHANGE-REQUEST with 420 (before,
// Ferry ignored it and answered from the same address, which a client reads as "filtering
// is endpoint-independent"). RFC 3489-era clients put a flagless CHANGE-REQUEST in every
// request: that one is answered.
TEST_F(NatDiscoveryOffTest, ChangeRequestWithAFlagIs420AndWithoutIsAnswered) {
  binding(tuple(), [](stun::MessageBuilder& b) { b.add(attr::ChangeRequest{true, true}); });
  EXPECT_EQ(only_reply().get<attr::ErrorCode>()->code, 420);
  h_.egress.clear();
  binding(tuple(), [](stun::MessageBuilder& b) { b.add(attr::ChangeRequest{false, false}); });
  auto m = only_reply();
  EXPECT_TRUE(m.is(stun::Method::kBinding, stun::Class::kSuccess));
  EXPECT_FALSE(m.has<attr::OtherAddress>());
  h_.egress.clear();
  binding(tuple(), [](stun::MessageBuilder& b) { b.add(attr::ResponsePort{5555}); });
  EXPECT_EQ(only_reply().get<attr::ErrorCode>()->code, 420);
  EXPECT_EQ(sent_to(), tuple());
  // A classic request asking for a change this server cannot make gets no answer (an answer
  // from the same address would read as "no filtering"); without a flag it is answered.
  h_.egress.clear();
  auto change = classic_change(false, true);
  h_.server->on_client_packet(tuple(), change, h_.now);
  EXPECT_TRUE(h_.egress.client.empty());
  auto plain = classic_change(false, false);
  h_.server->on_client_packet(tuple(), plain, h_.now);
  EXPECT_EQ(only_reply().get<attr::MappedAddress>()->address, tuple().client);
}

}  // namespace
}  // namespace ferry::turn
