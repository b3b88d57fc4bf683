// The host's own addresses as the peer policy gets them (issue 16 item 4, and the review's
// finding that a failed read under descriptor exhaustion emptied the list: the policy then
// stopped refusing the host's interface addresses).
#include "host_addresses.h"

#include <event2/event.h>
#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace ferry::net {
namespace {

TEST(HostAddressWatch, AListThatCannotBeReadIsNeverPassedOn) {
  event_base* base = event_base_new();
  std::vector<std::vector<Address>> seen;
  int reads = 0;
  {
    auto watch = HostAddressWatch::create(
        base, [&](std::vector<Address> list) { seen.push_back(std::move(list)); },
        [&]() -> std::optional<std::vector<Address>> {
          if (++reads == 1) return std::vector<Address>{*Address::parse_ip("198.18.0.1")};
          return std::nullopt;  // getifaddrs failed (EMFILE)
        });
    ASSERT_TRUE(watch) << watch.error();
    (*watch)->refresh();
    (*watch)->refresh();
  }
  ASSERT_EQ(seen.size(), 1u) << "a failed read replaced the host's addresses";
  EXPECT_EQ(seen[0].size(), 1u);
  EXPECT_EQ(reads, 3);
  event_base_free(base);
}

TEST(HostAddresses, TheRealListHoldsLoopback) {
  auto list = host_interface_addresses();
  ASSERT_TRUE(list);
  bool loopback = false;
  for (const auto& a : *list) loopback = loopback || a.is_loopback();
  EXPECT_TRUE(loopback);
}

}  // namespace
}  // namespace ferry::net
