// Runtime::start's own refusals, before any socket is opened.
#include <gtest/gtest.h>

#include "ferry/common/logger.h"
#include "ferry/net/runtime.h"

namespace ferry::net {
namespace {

// A UDP listener's index travels in FiveTuple::listener (one byte): more listening addresses
// than it can name are refused with the reason, not wrapped onto another listener's socket.
TEST(Runtime, MoreListeningAddressesThanTheTupleCanNameAreRefused) {
  ServerSettings s;
  for (int i = 0; i < 257; ++i) {
    s.listen_ips.push_back(Address::v4(
        {127, 0, static_cast<std::uint8_t>(i / 250), static_cast<std::uint8_t>(1 + i % 250)}, 0));
  }
  s.relay_addresses = s.listen_ips;
  s.threads = 1;
  s.tls = s.dtls = false;  // one UDP socket per address
  NullLogger log;
  Runtime runtime(s, log);
  auto started = runtime.start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error(), "257 listening addresses: at most 256 are supported");
  // DTLS on its own port takes a second UDP socket per address.
  s.dtls = true;
  Runtime with_dtls(s, log);
  auto refused = with_dtls.start();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(),
            "257 listening addresses: at most 128 are supported with DTLS on its own port");
}

TEST(Runtime, NoListeningAddressIsRefused) {
  ServerSettings s;
  NullLogger log;
  Runtime runtime(s, log);
  auto started = runtime.start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error(), "no address to listen on");
}

}  // namespace
}  // namespace ferry::net
