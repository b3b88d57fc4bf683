// STUN Binding against the real turnserver on loopback: UDP and TCP, IPv4 and IPv6.
#include <gtest/gtest.h>

#include <array>

#include "client/stun_binding.h"
#include "ferry/stun/attributes.h"
#include "ferry/stun/message.h"
#include "server_process.h"

namespace ferry::testing {
namespace {

using client::ClientSocket;

class BindingTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    port_ = free_port();
    ASSERT_NE(port_, 0);
    std::string conf =
        "listening-ip=127.0.0.1\nlistening-ip=::1\nlistening-port=" + std::to_string(port_) +
        "\nrelay-threads=2\nrealm=test.ferry\n";
    server_ = new ServerProcess(conf, v4());
    ASSERT_TRUE(server_->ready()) << server_->log();
  }
  static void TearDownTestSuite() {
    // SIGTERM must end the server cleanly (exit code 0) in bounded time.
    EXPECT_EQ(server_->stop(), 0) << server_->log();
    delete server_;
    server_ = nullptr;
  }
  static Address v4() { return *Address::parse_ip("127.0.0.1", port_); }
  static Address v6() { return *Address::parse_ip("::1", port_); }

  static ClientSocket open(Transport t, const Address& a) {
    std::string err;
    auto s = ClientSocket::open(t, a, &err);
    EXPECT_TRUE(s) << err;
    return std::move(*s);
  }

  static void expect_binding_works(Transport t, const Address& server) {
    auto s = open(t, server);
    std::string err;
    auto r = client::binding(s, {}, &err);
    ASSERT_TRUE(r) << err;
    EXPECT_EQ(r->error_code, 0);
    // The reflexive address is exactly the client's own address and port on loopback.
    EXPECT_EQ(r->xor_mapped, s.local());
    EXPECT_EQ(r->mapped, s.local());
    EXPECT_EQ(r->response_origin, server);
    EXPECT_TRUE(r->has_fingerprint);  // the request carried one (parse verified the CRC)
    EXPECT_EQ(r->software.rfind("Ferry/", 0), 0u);
  }

  static std::uint16_t port_;
  static ServerProcess* server_;
};

std::uint16_t BindingTest::port_ = 0;
ServerProcess* BindingTest::server_ = nullptr;

TEST_F(BindingTest, UdpIpv4) {
  expect_binding_works(Transport::kUdp, v4());
}
TEST_F(BindingTest, UdpIpv6) {
  expect_binding_works(Transport::kUdp, v6());
}
TEST_F(BindingTest, TcpIpv4) {
  expect_binding_works(Transport::kTcp, v4());
}
TEST_F(BindingTest, TcpIpv6) {
  expect_binding_works(Transport::kTcp, v6());
}

// Each UDP answer leaves from the listener the request reached: a worker finds it by its local
// address among several (listed out of order here, so the lookup's sorting is exercised).
TEST_F(BindingTest, EveryListenerAnswersFromItsOwnAddress) {
  const std::uint16_t port = free_port();
  ServerProcess server(
      "listening-ip=127.0.0.3\nlistening-ip=127.0.0.1\nlistening-ip=127.0.0.2\n"
      "listening-port=" +
          std::to_string(port) + "\nrelay-threads=1\n",
      *Address::parse_ip("127.0.0.1", port));
  ASSERT_TRUE(server.ready()) << server.log();
  for (const char* ip : {"127.0.0.1", "127.0.0.2", "127.0.0.3"}) {
    SCOPED_TRACE(ip);
    expect_binding_works(Transport::kUdp, *Address::parse_ip(ip, port));
  }
  EXPECT_EQ(server.stop(), 0) << server.log();
}

TEST_F(BindingTest, NoFingerprintWhenNotRequestedNorConfigured) {
  auto s = open(Transport::kUdp, v4());
  client::BindingOptions o;
  o.fingerprint = false;
  std::string err;
  auto r = client::binding(s, o, &err);
  ASSERT_TRUE(r) << err;
  EXPECT_FALSE(r->has_fingerprint);
}

TEST_F(BindingTest, ManyClientsOnBothWorkersAreAnswered) {
  for (int i = 0; i < 40; ++i) expect_binding_works(Transport::kUdp, v4());
}

TEST_F(BindingTest, SeveralRequestsOnOneTcpConnection) {
  auto s = open(Transport::kTcp, v4());
  for (int i = 0; i < 5; ++i) {
    std::string err;
    auto r = client::binding(s, {}, &err);
    ASSERT_TRUE(r) << err;
    EXPECT_EQ(r->xor_mapped, s.local());
  }
}

TEST_F(BindingTest, UnknownComprehensionRequiredAttributeGets420) {
  auto s = open(Transport::kUdp, v4());
  std::array<std::uint8_t, 128> buf{};
  auto tid = client::random_transaction_id();
  stun::MessageBuilder b(buf, stun::Method::kBinding, stun::Class::kRequest, tid);
  const std::array<std::uint8_t, 4> v{1, 2, 3, 4};
  b.add_raw(0x7FFE, v);
  ASSERT_TRUE(s.send(b.finish()));
  auto got = s.receive(Millis(2000));
  ASSERT_TRUE(got);
  auto m = stun::MessageView::parse(Bytes(got->data(), got->size()));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->cls(), stun::Class::kError);
  EXPECT_EQ(m->transaction_id(), tid);
  auto ec = m->get<stun::attr::ErrorCode>();
  ASSERT_TRUE(ec);
  EXPECT_EQ(ec->code, 420);
  auto ua = m->get<stun::attr::UnknownAttributes>();
  ASSERT_TRUE(ua);
  ASSERT_EQ(ua->count, 1u);
  EXPECT_EQ(ua->types[0], 0x7FFE);
}

TEST_F(BindingTest, UnknownOptionalAttributeIsIgnored) {
  auto s = open(Transport::kUdp, v4());
  std::array<std::uint8_t, 128> buf{};
  auto tid = client::random_transaction_id();
  stun::MessageBuilder b(buf, stun::Method::kBinding, stun::Class::kRequest, tid);
  const std::array<std::uint8_t, 3> v{1, 2, 3};
  b.add_raw(0xC0DE, v);
  ASSERT_TRUE(s.send(b.finish()));
  auto got = s.receive(Millis(2000));
  ASSERT_TRUE(got);
  auto m = stun::MessageView::parse(Bytes(got->data(), got->size()));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->cls(), stun::Class::kSuccess);
}

TEST_F(BindingTest, Rfc3489RequestGetsMappedAddress) {
  auto s = open(Transport::kUdp, v4());
  // RFC 3489 header: type, length, 16-byte transaction id without the magic cookie.
  std::array<std::uint8_t, 20> req{0x00, 0x01, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef, 1,  2,
                                   3,    4,    5,    6,    7,    8,    9,    10,   11, 12};
  ASSERT_TRUE(s.send(req));
  auto got = s.receive(Millis(2000));
  ASSERT_TRUE(got);
  auto m = stun::MessageView::parse(Bytes(got->data(), got->size()));
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->rfc3489());
  EXPECT_TRUE(std::equal(req.begin() + 4, req.end(), got->begin() + 4));
  auto mapped = m->get<stun::attr::MappedAddress>();
  ASSERT_TRUE(mapped);
  EXPECT_EQ(mapped->address, s.local());
}

TEST_F(BindingTest, IndicationGetsNoResponse) {
  auto s = open(Transport::kUdp, v4());
  std::array<std::uint8_t, 64> buf{};
  stun::MessageBuilder b(buf, stun::Method::kBinding, stun::Class::kIndication,
                         client::random_transaction_id());
  ASSERT_TRUE(s.send(b.finish()));
  EXPECT_FALSE(s.receive(Millis(300)));
  expect_binding_works(Transport::kUdp, v4());
}

}  // namespace
}  // namespace ferry::testing
