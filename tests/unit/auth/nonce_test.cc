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

// Realms: a nonce is good in the realm whose challenge issued it only (a nonce of realm A
// spent in realm B is "no longer valid", RFC 8489 §9.2.4: 438 with B's own).
TEST_F(NonceTest, BoundToItsRealm) {
  auto n = std::string(
      as_view(codec_.make(client_, t0_, Seconds(600), kFeaturePasswordAlgorithms, "a.example")));
  EXPECT_EQ(codec_.check(n, client_, t0_, "a.example"), NonceCodec::Verdict::kValid);
  EXPECT_EQ(codec_.check(n, client_, t0_, "b.example"), NonceCodec::Verdict::kInvalid);
  EXPECT_EQ(codec_.check(n, client_, t0_), NonceCodec::Verdict::kInvalid);
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

// RFC 8489 §9.2: the nonce starts with the nonce cookie, "obMatJos2" and the base64 of the
// 24 STUN Security Feature bits; the whole stays under §14.10's 128 characters.
TEST_F(NonceTest, StartsWithTheNonceCookieOfItsFeatures) {
  auto plain = std::string(as_view(codec_.make(client_, t0_, Seconds(600), 0)));
  auto algorithms = std::string(as_view(codec_.make(client_, t0_, Seconds(600))));
  auto both = std::string(as_view(codec_.make(
      client_, t0_, Seconds(600), kFeaturePasswordAlgorithms | kFeatureUsernameAnonymity)));
  EXPECT_EQ(plain.substr(0, 13), "obMatJos2AAAA");
  EXPECT_EQ(algorithms.substr(0, 13), "obMatJos2AAAB");  // bit 0 is the rightmost (erratum 6290)
  EXPECT_EQ(both.substr(0, 13), "obMatJos2AAAD");
  EXPECT_LT(both.size(), 128u);
  EXPECT_EQ(nonce_cookie_features(both), kFeaturePasswordAlgorithms | kFeatureUsernameAnonymity);
  EXPECT_EQ(codec_.check(both, client_, t0_), NonceCodec::Verdict::kValid);
}

TEST_F(NonceTest, CookieFeaturesParse) {
  // RFC 8489 Appendix B.1's nonce: 0x000002, "Username anonymity" (the vector sends USERHASH).
  EXPECT_EQ(nonce_cookie_features("obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA"),
            kFeatureUsernameAnonymity);
  EXPECT_EQ(nonce_cookie_features("obMatJos2////"), 0xFFFFFFu);
  EXPECT_FALSE(nonce_cookie_features("obMatJos2AAA"));      // too short
  EXPECT_FALSE(nonce_cookie_features("obMatJos2AA=A..."));  // not base64
  EXPECT_FALSE(nonce_cookie_features("obMatJos3AAAB"));
  EXPECT_FALSE(nonce_cookie_features(std::string("obMatJos2AA\0B", 13)));
  EXPECT_FALSE(nonce_cookie_features("0123456789abcdef0123456789abcdef"));
}

// The HMAC covers the cookie: a man in the middle who clears the "Password algorithms" bit
// (to bid a client down, RFC 8489 §9.2.1) turns the nonce into one the server refuses.
TEST_F(NonceTest, FeatureBitsCannotBeChanged) {
  auto n = std::string(as_view(codec_.make(client_, t0_, Seconds(600))));
  std::string cleared = n;
  cleared[12] = 'A';
  ASSERT_EQ(nonce_cookie_features(cleared), 0u);
  EXPECT_EQ(codec_.check(cleared, client_, t0_), NonceCodec::Verdict::kInvalid);
  // The cookie-less form Ferry issued before is no longer accepted (no old nonce survives a
  // restart anyway: the key is random per process).
  EXPECT_EQ(codec_.check(n.substr(13), client_, t0_), NonceCodec::Verdict::kInvalid);
}

TEST_F(NonceTest, RandomKeysDiffer) {
  auto a = NonceCodec::with_random_key()->make(client_, t0_, Seconds(1));
  auto b = NonceCodec::with_random_key()->make(client_, t0_, Seconds(1));
  EXPECT_NE(std::string(as_view(a)), std::string(as_view(b)));
}

}  // namespace
}  // namespace ferry::auth
