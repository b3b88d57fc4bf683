// Issue 16's regressions against the real turnserver on loopback: what an attacker with one
// valid credential, or none, must not be able to make the server hold or send.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "client/turn_client.h"
#include "ferry/auth/long_term_key.h"
#include "ferry/stun/attributes.h"
#include "ferry/stun/channel_data.h"
#include "ferry/stun/message.h"
#include "ferry/stun/turn_attributes.h"
#include "server_process.h"

namespace ferry::testing {
namespace {

using client::ClientSocket;
using client::TurnClient;
namespace attr = stun::attr;

// A UDP peer on 127.0.0.1 that records what arrives and from where (read on demand).
class RecordingPeer {
 public:
  RecordingPeer() {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_storage ss;
    socklen_t len = Address::parse_ip("127.0.0.1", 0)->to_sockaddr(&ss);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&ss), len), 0);
    len = sizeof ss;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len);
    address_ = Address::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
  }
  ~RecordingPeer() { close(fd_); }
  RecordingPeer(const RecordingPeer&) = delete;
  RecordingPeer& operator=(const RecordingPeer&) = delete;
  const Address& address() const { return address_; }
  struct Datagram {
    Address from;
    std::vector<std::uint8_t> data;
  };
  // Everything that arrives until `quiet` passes without a datagram.
  std::vector<Datagram> drain(Millis quiet) {
    std::vector<Datagram> out;
    pollfd p{fd_, POLLIN, 0};
    while (poll(&p, 1, static_cast<int>(quiet.count())) > 0) {
      std::uint8_t buf[4096];
      sockaddr_storage from;
      socklen_t flen = sizeof from;
      ssize_t n = recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &flen);
      if (n < 0) break;
      out.push_back({Address::from_sockaddr(reinterpret_cast<sockaddr*>(&from), flen),
                     std::vector<std::uint8_t>(buf, buf + n)});
    }
    return out;
  }

 private:
  int fd_ = -1;
  Address address_;
};

std::string config(std::uint16_t port, const std::string& extra) {
  return "listening-ip=127.0.0.1\nlistening-port=" + std::to_string(port) +
         "\nrelay-ip=127.0.0.1\nmin-port=44000\nmax-port=44999\nrealm=example.org\n"
         "user=alice:secret\nuser=bob:hunter2\n" +
         extra;
}

class SafetyTest : public ::testing::Test {
 protected:
  void start(const std::string& extra) {
    port_ = free_port();
    server_ = std::make_unique<ServerProcess>(config(port_, extra), server_address());
    ASSERT_TRUE(server_->ready()) << server_->log();
  }
  void TearDown() override {
    if (server_) {
      EXPECT_EQ(server_->stop(), 0) << server_->log();
    }
  }
  Address server_address() const { return *Address::parse_ip("127.0.0.1", port_); }
  TurnClient client(Transport t) {
    std::string err;
    auto s = ClientSocket::open(t, server_address(), &err);
    EXPECT_TRUE(s) << err;
    return TurnClient(std::move(*s));
  }
  std::uint16_t port_ = 0;
  std::unique_ptr<ServerProcess> server_;
};

stun::TransactionId random_tid() {
  stun::TransactionId tid{};
  for (auto& b : tid) b = static_cast<std::uint8_t>(std::rand());
  return tid;
}

// An authenticated request as TurnClient would send it, but only built: the test decides when
// it goes out.
std::vector<std::uint8_t> signed_request(stun::Method method, const TurnClient& c,
                                         std::string_view user, std::string_view password,
                                         const std::function<void(stun::MessageBuilder&)>& add) {
  std::vector<std::uint8_t> buf(1500);
  stun::MessageBuilder b(MutableBytes(buf.data(), buf.size()), method, stun::Class::kRequest,
                         random_tid());
  add(b);
  b.add(attr::Username{user});
  b.add(attr::Realm{c.realm()});
  b.add(attr::Nonce{c.nonce()});
  auto key = auth::md5_key(user, c.realm(), password);
  b.add_message_integrity(Bytes(key.data(), key.size()));
  Bytes out = b.finish();
  return {out.begin(), out.end()};
}

// Item 1: a client's ChannelData, its Refresh(LIFETIME 0) and another client's Allocate, all in
// one receive batch (the server is stopped while they are queued). On 7b1c093 the relay's
// descriptor was closed at the Refresh, the Allocate's new relay got the same number, and the
// queued payload left from the other client's relay address.
TEST_F(SafetyTest, PayloadNeverLeavesFromAnotherClientsRelay) {
  start("allow-loopback-peers\n");
  RecordingPeer peer;
  for (int round = 0; round < 3; ++round) {
    auto a = client(Transport::kUdp);
    auto ra = a.allocate("alice", "secret", 600);
    ASSERT_TRUE(ra.ok) << ra.error_code;
    ASSERT_TRUE(a.channel_bind(0x4000, peer.address()).ok);
    auto b = client(Transport::kUdp);
    ASSERT_TRUE(b.allocate("bob", "hunter2", 600).ok);  // learns realm and nonce
    ASSERT_TRUE(b.refresh(0).ok);                       // and leaves no allocation

    const std::vector<std::uint8_t> secret{'a', 'l', 'i', 'c', 'e', '-', 's', 'e',
                                           'c', 'r', 'e', 't', '-', '0', '0', '0'};
    std::vector<std::uint8_t> cd(4 + secret.size());
    stun::write_channel_data_header(cd.data(), 0x4000, static_cast<std::uint16_t>(secret.size()));
    std::memcpy(cd.data() + 4, secret.data(), secret.size());
    auto del = signed_request(stun::Method::kRefresh, a, "alice", "secret",
                              [](stun::MessageBuilder& r) { r.add(attr::Lifetime{0}); });
    auto alloc =
        signed_request(stun::Method::kAllocate, b, "bob", "hunter2", [](stun::MessageBuilder& r) {
          r.add(attr::RequestedTransport{attr::RequestedTransport::kUdp});
        });
    ASSERT_EQ(kill(server_->pid(), SIGSTOP), 0);
    ASSERT_TRUE(a.socket().send(Bytes(cd.data(), cd.size())));
    ASSERT_TRUE(a.socket().send(Bytes(del.data(), del.size())));
    ASSERT_TRUE(b.socket().send(Bytes(alloc.data(), alloc.size())));
    std::this_thread::sleep_for(Millis(50));
    ASSERT_EQ(kill(server_->pid(), SIGCONT), 0);

    auto answer = b.socket().receive(Millis(2000));
    ASSERT_TRUE(answer);
    auto reply = stun::MessageView::parse(Bytes(answer->data(), answer->size()));
    ASSERT_TRUE(reply);
    auto relayed = reply->get<attr::XorRelayedAddress>();
    ASSERT_TRUE(relayed) << "bob's Allocate failed";
    for (const auto& d : peer.drain(Millis(300))) {
      EXPECT_NE(d.from, relayed->address) << "alice's payload left from bob's relay";
      EXPECT_EQ(d.from, ra.relayed);
    }
    // Bob's new allocation goes away so the next round starts alike.
    auto bye = signed_request(stun::Method::kRefresh, b, "bob", "hunter2",
                              [](stun::MessageBuilder& r) { r.add(attr::Lifetime{0}); });
    ASSERT_TRUE(b.socket().send(Bytes(bye.data(), bye.size())));
    ASSERT_TRUE(b.socket().receive(Millis(2000)));
  }
}

}  // namespace
}  // namespace ferry::testing
