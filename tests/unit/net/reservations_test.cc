// EVEN-PORT reservations (RFC 8656 §7.2) as issue 16 item 5 bounds them: a held port counts
// against its owner's quota, the number held is capped, and the tick's sweep closes lapsed
// ones (on 7b1c093 only the next reservation swept, so a user with user-quota=1 held 188).
#include "reservations.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ferry::net {
namespace {

int any_socket() {
  return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

bool is_open(int fd) {
  return fcntl(fd, F_GETFD) >= 0;
}

const Address kPort = *Address::parse_ip("127.0.0.1", 50001);
const TimePoint kT0 = TimePoint(Seconds(1000));

TEST(Reservations, CountAgainstTheOwnersQuota) {
  turn::Quotas quotas(/*user=*/2, /*total=*/0);
  Reservations r(quotas, 100);
  ASSERT_TRUE(quotas.acquire("mallory"));  // her allocation
  ASSERT_TRUE(r.put(any_socket(), kPort, "mallory", kT0));
  EXPECT_EQ(quotas.total(), 2u);
  int fd = any_socket();
  EXPECT_FALSE(r.put(fd, kPort, "mallory", kT0)) << "a third port for a user-quota of 2";
  EXPECT_FALSE(is_open(fd)) << "a refused reservation's socket is closed";
  EXPECT_TRUE(r.put(any_socket(), kPort, "alice", kT0));  // others are not affected
}

TEST(Reservations, AreCappedInTotal) {
  turn::Quotas quotas(0, 0);
  Reservations r(quotas, 3);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(r.put(any_socket(), kPort, "u" + std::to_string(i), kT0));
  EXPECT_FALSE(r.put(any_socket(), kPort, "u9", kT0));
  EXPECT_EQ(r.size(), 3u);
}

TEST(Reservations, SweepClosesLapsedOnesAndReturnsTheirQuota) {
  turn::Quotas quotas(1, 0);
  Reservations r(quotas, 100);
  int fd = any_socket();
  ASSERT_TRUE(r.put(fd, kPort, "mallory", kT0));
  EXPECT_FALSE(quotas.acquire("mallory"));
  r.sweep(kT0 + Reservations::kHold - Seconds(1));
  EXPECT_TRUE(is_open(fd));
  r.sweep(kT0 + Reservations::kHold);
  EXPECT_FALSE(is_open(fd)) << "the lapsed reservation still holds its port";
  EXPECT_EQ(r.size(), 0u);
  EXPECT_TRUE(quotas.acquire("mallory"));
}

TEST(Reservations, ClaimingGivesTheOwnersQuotaBack) {
  turn::Quotas quotas(1, 0);
  Reservations r(quotas, 100);
  auto token = r.put(any_socket(), kPort, "alice", kT0);
  ASSERT_TRUE(token);
  auto held = r.take(*token, kT0 + Seconds(5));
  ASSERT_TRUE(held);
  EXPECT_EQ(held->address, kPort);
  close(held->fd);
  EXPECT_TRUE(quotas.acquire("alice"));  // the claiming Allocate takes its own quota
  EXPECT_FALSE(r.take(*token, kT0 + Seconds(5))) << "a token is good once";
}

}  // namespace
}  // namespace ferry::net
