#include "ferry/auth/nonce.h"

#include <gtest/gtest.h>

#include <string>

namespace ferry::auth {
namespace {

class NonceTest : public ::testing::Test {
 protected:
  NonceCodec codec_{NonceCodec::Key{1, 2, 3}};
  Address client_ = *Address::parse_endpoint("198.51.100.7:40000");
  TimePoint t0_ = TimePoint(Seconds(1000000));
};

TEST_F(NonceTest, ValidUntilItsLifetimeEndsThenStale) {
  auto n = codec_.make(client_, t0_, Seconds(600));
  std::string s(as_view(n));
  EXPECT_EQ(codec_.check(s, client_, t0_), NonceCodec::Verdict::kValid);
  EXPECT_EQ(codec_.check(s, client_, t0_ + Seconds(599)), NonceCodec::Verdict::kValid);
  EXPECT_EQ(codec_.check(s, client_, t0_ + Seconds(600)), NonceCodec::Verdict::kStale);
}

TEST_F(NonceTest, BoundToTheClientIpButNotItsPort) {
  auto n = std::string(as_view(codec_.make(client_, t0_, Seconds(600))));
  auto other_port = *Address::parse_endpoint("198.51.100.7:40001");
  auto other_ip = *Address::parse_endpoint("198.51.100.8:40000");
  EXPECT_EQ(codec_.check(n, other_port, t0_), NonceCodec::Verdict::kValid);
  EXPECT_EQ(codec_.check(n, other_ip, t0_), NonceCodec::Verdict::kInvalid);
}

TEST_F(NonceTest, ForgedTamperedOrForeignNoncesAreInvalid) {
  auto n = std::string(as_view(codec_.make(client_, t0_, Seconds(600))));
  // Extending the expiry breaks the MAC.
  std::string later = n;
  later[15] = later[15] == 'f' ? 'e' : 'f';
  EXPECT_EQ(codec_.check(later, client_, t0_), NonceCodec::Verdict::kInvalid);
  std::string flipped = n;
  flipped[40] = flipped[40] == '0' ? '1' : '0';
  EXPECT_EQ(codec_.check(flipped, client_, t0_), NonceCodec::Verdict::kInvalid);
  EXPECT_EQ(codec_.check("", client_, t0_), NonceCodec::Verdict::kInvalid);
  EXPECT_EQ(codec_.check(n.substr(1), client_, t0_), NonceCodec::Verdict::kInvalid);
  EXPECT_EQ(codec_.check(std::string(48, 'z'), client_, t0_), NonceCodec::Verdict::kInvalid);
  NonceCodec other(NonceCodec::Key{9});
  EXPECT_EQ(other.check(n, client_, t0_), NonceCodec::Verdict::kInvalid);
}

TEST_F(NonceTest, RandomKeysDiffer) {
  auto a = NonceCodec::with_random_key()->make(client_, t0_, Seconds(1));
  auto b = NonceCodec::with_random_key()->make(client_, t0_, Seconds(1));
  EXPECT_NE(std::string(as_view(a)), std::string(as_view(b)));
}

}  // namespace
}  // namespace ferry::auth
