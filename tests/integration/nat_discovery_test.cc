// RFC 5780 NAT behaviour discovery (rfc5780) against the real turnserver on 127.0.0.1 and
// 127.0.0.2: answers from the other address and port over real sockets, RESPONSE-PORT,
// coturn's turnutils_natdiscovery reading loopback as "no NAT", and the TLS/DTLS port pair
// (alt-tls-listening-port).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "client/client_socket.h"
#include "ferry/stun/attributes.h"
#include "ferry/stun/message.h"
#include "server_process.h"

namespace ferry::testing {
namespace {

namespace attr = stun::attr;

int udp_socket() {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_storage ss;
  socklen_t len = Address::parse_ip("127.0.0.1", 0)->to_sockaddr(&ss);
  bind(fd, reinterpret_cast<sockaddr*>(&ss), len);
  return fd;
}

std::uint16_t port_of(int fd) {
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  return Address::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len).port();
}

// One datagram and where it came from, within `wait`.
std::optional<std::pair<std::vector<std::uint8_t>, Address>> receive(int fd, Millis wait) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(wait.count())) <= 0) return std::nullopt;
  std::vector<std::uint8_t> buf(2048);
  sockaddr_storage from;
  socklen_t len = sizeof from;
  ssize_t n = recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
  if (n < 0) return std::nullopt;
  buf.resize(static_cast<std::size_t>(n));
  return std::make_pair(buf, Address::from_sockaddr(reinterpret_cast<sockaddr*>(&from), len));
}

class NatDiscoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(
        "listening-ip=127.0.0.1\nlistening-ip=127.0.0.2\nlistening-port=" + std::to_string(port_) +
            "\nalt-listening-port=" + std::to_string(alt_) +
            "\nrfc5780\nrealm=example.org\nuser=alice:secret\n",
        *Address::parse_ip("127.0.0.1", port_));
    ASSERT_TRUE(server_->ready()) << server_->log();
  }
  void TearDown() override { EXPECT_EQ(server_->stop(), 0) << server_->log(); }
  template <class Fn>
  void send_binding(int fd, Fn&& add) {
    std::array<std::uint8_t, 256> buf{};
    stun::MessageBuilder b(buf, 0x001, stun::Class::kRequest, stun::TransactionId{7, 7, 7});
    add(b);
    Bytes req = b.finish();
    sockaddr_storage ss;
    socklen_t len = Address::parse_ip("127.0.0.1", port_)->to_sockaddr(&ss);
    sendto(fd, req.data(), req.size(), 0, reinterpret_cast<sockaddr*>(&ss), len);
  }

  std::uint16_t port_ = free_port();
  std::uint16_t alt_ = free_port();
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(NatDiscoveryTest, ChangeRequestIsAnsweredFromTheOtherAddressAndPort) {
  int fd = udp_socket();
  send_binding(fd, [](stun::MessageBuilder& b) { b.add(attr::ChangeRequest{true, true}); });
  auto got = receive(fd, Millis(2000));
  ASSERT_TRUE(got) << server_->log();
  EXPECT_EQ(got->second, *Address::parse_ip("127.0.0.2", alt_));
  auto m = stun::MessageView::parse(Bytes(got->first.data(), got->first.size()));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->get<attr::ResponseOrigin>()->address, *Address::parse_ip("127.0.0.2", alt_));
  EXPECT_EQ(m->get<attr::OtherAddress>()->address, *Address::parse_ip("127.0.0.2", alt_));
  // Only the port: from 127.0.0.1 on the alternate port.
  send_binding(fd, [](stun::MessageBuilder& b) { b.add(attr::ChangeRequest{false, true}); });
  got = receive(fd, Millis(2000));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->second, *Address::parse_ip("127.0.0.1", alt_));
  close(fd);
}

TEST_F(NatDiscoveryTest, ResponsePortAnswersAnotherPortOfTheSameAddress) {
  int asker = udp_socket();
  int other = udp_socket();
  const std::uint16_t to = port_of(other);
  send_binding(asker, [&](stun::MessageBuilder& b) { b.add(attr::ResponsePort{to}); });
  auto got = receive(other, Millis(2000));
  ASSERT_TRUE(got) << "nothing reached the RESPONSE-PORT";
  EXPECT_FALSE(receive(asker, Millis(100)));
  close(asker);
  close(other);
}

// coturn's NAT behaviour discovery client (-m mapping, -f filtering) finds loopback to be
// "no NAT": endpoint-independent mapping and filtering.
TEST_F(NatDiscoveryTest, CoturnNatDiscoveryRuns) {
  const char* tool = "/usr/bin/turnutils_natdiscovery";
  if (access(tool, X_OK) != 0) {
    GTEST_SKIP() << "coturn's client tools are not installed (tools/dev setup installs them)";
  }
  auto r = run_program({tool, "-m", "-f", "-p", std::to_string(port_), "127.0.0.1"}, Millis(30000));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("NAT with Endpoint Independent Mapping!"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("NAT with Endpoint Independent Filtering!"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("Other addr: : 127.0.0.2:" + std::to_string(alt_)), std::string::npos)
      << r.output;
}

// alt-tls-listening-port: TLS and DTLS listen on it too, and a Binding over either names the
// other address with the other port of the TLS pair.
TEST(NatDiscoveryTlsTest, TlsAndDtlsListenOnTheAlternatePortAndNameTheOther) {
  if (access("/usr/bin/openssl", X_OK) != 0) GTEST_SKIP() << "needs /usr/bin/openssl";
  TempDir dir;
  std::string log;
  auto cert = make_test_certificate(dir, &log);
  ASSERT_TRUE(cert) << log;
  const std::uint16_t port = free_port();
  const std::uint16_t tls_port = free_port();
  const std::uint16_t alt_tls = free_port();
  ServerProcess server(
      "listening-ip=127.0.0.1\nlistening-ip=127.0.0.2\nlistening-port=" + std::to_string(port) +
          "\nalt-listening-port=" + std::to_string(free_port()) +
          "\ntls-listening-port=" + std::to_string(tls_port) +
          "\nalt-tls-listening-port=" + std::to_string(alt_tls) + "\ncert=" + cert->cert +
          "\npkey=" + cert->key + "\nrfc5780\nrealm=example.org\nuser=alice:secret\n",
      *Address::parse_ip("127.0.0.1", port));
  ASSERT_TRUE(server.ready()) << server.log();
  for (Transport tr : {Transport::kTls, Transport::kDtls}) {
    std::string err;
    auto s = client::ClientSocket::open(tr, *Address::parse_ip("127.0.0.1", alt_tls), &err);
    ASSERT_TRUE(s) << err;
    std::array<std::uint8_t, 256> buf{};
    stun::MessageBuilder b(buf, 0x001, stun::Class::kRequest, stun::TransactionId{5, 5, 5});
    ASSERT_TRUE(s->send(b.finish()));
    auto answer = s->receive(Millis(3000));
    ASSERT_TRUE(answer);
    auto m = stun::MessageView::parse(Bytes(answer->data(), answer->size()));
    ASSERT_TRUE(m);
    ASSERT_TRUE(m->get<attr::OtherAddress>());
    EXPECT_EQ(m->get<attr::OtherAddress>()->address, *Address::parse_ip("127.0.0.2", tls_port));
    EXPECT_EQ(m->get<attr::XorMappedAddress>()->address, s->local());
  }
  EXPECT_EQ(server.stop(), 0) << server.log();
}

}  // namespace
}  // namespace ferry::testing
