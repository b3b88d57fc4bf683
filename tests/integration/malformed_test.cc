// Hostile and broken input (CONFORMANCE.md "Bad input"): every case is dropped without an
// answer, and the server keeps answering good requests afterwards.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <thread>
#include <vector>

#include "client/stun_binding.h"
#include "ferry/common/bytes.h"
#include "ferry/stun/message.h"
#include "server_process.h"

namespace ferry::testing {
namespace {

using client::ClientSocket;
using Packet = std::vector<std::uint8_t>;

// A Binding request header with the given length field, followed by `body`.
Packet header(std::uint16_t type, std::uint16_t length, const Packet& body = {}) {
  // Sized once and filled in place (vector::insert here trips a GCC 12 -Warray-bounds bug).
  Packet p(20 + body.size(), 0);
  store_be16(&p[0], type);
  store_be16(&p[2], length);
  store_be32(&p[4], stun::kMagicCookie);
  for (int i = 8; i < 20; ++i) p[i] = static_cast<std::uint8_t>(i);
  std::copy(body.begin(), body.end(), p.begin() + 20);
  return p;
}

Packet with_bad_fingerprint() {
  std::array<std::uint8_t, 64> buf{};
  stun::MessageBuilder b(buf, stun::Method::kBinding, stun::Class::kRequest,
                         client::random_transaction_id());
  b.add_fingerprint();
  auto out = b.finish();
  Packet p(out.begin(), out.end());
  p.back() ^= 0x01;
  return p;
}

std::vector<std::pair<std::string, Packet>> malformed_cases() {
  std::vector<std::pair<std::string, Packet>> c;
  c.emplace_back("empty datagram", Packet{});
  Packet short_header = header(0x0001, 0);
  short_header.resize(19);
  c.emplace_back("19 bytes", short_header);
  c.emplace_back("length not a multiple of 4", header(0x0001, 3, {0, 0, 0}));
  c.emplace_back("length beyond the datagram", header(0x0001, 100));
  c.emplace_back("length shorter than the datagram", header(0x0001, 0, Packet(8, 0)));
  Packet top = header(0x0001, 0);
  top[0] = 0xC0;
  c.emplace_back("top bits set", top);
  c.emplace_back("attribute overruns the message",
                 header(0x0001, 8, {0x80, 0x22, 0x00, 0xC8, 1, 2, 3, 4}));
  c.emplace_back("wrong FINGERPRINT", with_bad_fingerprint());
  c.emplace_back("unsolicited success response", header(0x0101, 0));
  c.emplace_back("unsolicited error response", header(0x0111, 0));
  c.emplace_back("ChannelData on an unbound channel", Packet{0x40, 0x00, 0x00, 0x04, 1, 2, 3, 4});
  Packet garbage(1000);
  for (std::size_t i = 0; i < garbage.size(); ++i)
    garbage[i] = static_cast<std::uint8_t>(i * 37 + 11);
  c.emplace_back("garbage", garbage);
  // The largest UDP payload over IPv4, claiming the largest STUN length.
  c.emplace_back("65,507-byte datagram", header(0x0001, 0xFFFC, Packet(65507 - 20, 0x41)));
  return c;
}

class MalformedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = free_port();
    ASSERT_NE(port_, 0);
    server_ = std::make_unique<ServerProcess>(
        "listening-ip=127.0.0.1\nlistening-port=" + std::to_string(port_) + "\nrelay-threads=1\n",
        addr());
    ASSERT_TRUE(server_->ready()) << server_->log();
  }
  void TearDown() override { EXPECT_EQ(server_->stop(), 0) << server_->log(); }
  Address addr() const { return *Address::parse_ip("127.0.0.1", port_); }
  ClientSocket open(Transport t) {
    std::string err;
    auto s = ClientSocket::open(t, addr(), &err);
    EXPECT_TRUE(s) << err;
    return std::move(*s);
  }
  void expect_still_answers() {
    for (Transport t : {Transport::kUdp, Transport::kTcp}) {
      auto s = open(t);
      std::string err;
      auto r = client::binding(s, {}, &err);
      ASSERT_TRUE(r) << err;
      EXPECT_EQ(r->xor_mapped, s.local());
    }
  }
  std::uint16_t port_ = 0;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(MalformedTest, EveryMalformedDatagramIsDroppedSilently) {
  for (const auto& [name, packet] : malformed_cases()) {
    SCOPED_TRACE(name);
    auto s = open(Transport::kUdp);
    ASSERT_TRUE(s.send(packet));
    EXPECT_FALSE(s.receive(Millis(150))) << "answered a malformed datagram";
  }
  expect_still_answers();
}

TEST_F(MalformedTest, FloodOfGarbageLeavesOthersServed) {
  auto s = open(Transport::kUdp);
  auto cases = malformed_cases();
  for (int i = 0; i < 2000; ++i)
    (void)s.send(cases[static_cast<std::size_t>(i) % cases.size()].second);
  expect_still_answers();
}

TEST_F(MalformedTest, TcpRequestSplitIntoOneByteWritesIsReassembled) {
  auto s = open(Transport::kTcp);
  std::array<std::uint8_t, 64> buf{};
  auto tid = client::random_transaction_id();
  stun::MessageBuilder b(buf, stun::Method::kBinding, stun::Class::kRequest, tid);
  b.add_fingerprint();
  auto req = b.finish();
  for (std::uint8_t byte : req) {
    ASSERT_TRUE(s.send(Bytes(&byte, 1)));
    std::this_thread::sleep_for(Millis(2));
  }
  auto got = s.receive(Millis(2000));
  ASSERT_TRUE(got);
  auto m = stun::MessageView::parse(Bytes(got->data(), got->size()));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->transaction_id(), tid);
}

TEST_F(MalformedTest, TcpLargestFrameIsReassembledAndAnswered) {
  // A 0xFFFC-byte body holding one unknown optional attribute: valid, so it gets an answer.
  Packet body(0xFFFC, 0);
  store_be16(&body[0], 0xC0DE);
  store_be16(&body[2], 0xFFFC - 4);
  Packet req = header(0x0001, 0xFFFC, body);
  auto s = open(Transport::kTcp);
  ASSERT_TRUE(s.send(req));
  auto got = s.receive(Millis(3000));
  ASSERT_TRUE(got);
  auto m = stun::MessageView::parse(Bytes(got->data(), got->size()));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->cls(), stun::Class::kSuccess);
}

TEST_F(MalformedTest, TcpGarbageClosesOnlyThatConnection) {
  auto other = open(Transport::kTcp);
  auto s = open(Transport::kTcp);
  Packet junk{0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0};
  ASSERT_TRUE(s.send(junk));
  // The server closes the unframeable stream: receive sees EOF long before the timeout.
  auto t0 = Clock::now();
  EXPECT_FALSE(s.receive(Millis(3000)));
  EXPECT_LT(Clock::now() - t0, Millis(2500));
  std::string err;
  auto r = client::binding(other, {}, &err);
  ASSERT_TRUE(r) << err;
  expect_still_answers();
}

TEST_F(MalformedTest, TcpTruncatedFrameThenCloseIsHarmless) {
  {
    auto s = open(Transport::kTcp);
    ASSERT_TRUE(s.send(header(0x0001, 0xFFFC)));  // promises 65,532 bytes, sends none
  }
  expect_still_answers();
}

}  // namespace
}  // namespace ferry::testing
