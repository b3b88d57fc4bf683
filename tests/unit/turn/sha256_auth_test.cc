// RFC 8489 SHA-256 credentials and USERHASH through the core (§9.2.1-§9.2.4, §14.4-§14.6,
// §14.11-§14.12, §18.5): the 401's PASSWORD-ALGORITHMS and nonce cookie, an Allocate and a
// Refresh signed with the SHA-256 key, the bid-down protection (400), the integrity attributes
// the server checks and answers with, accounts without a SHA-256 key, and USERHASH. Requests
// are built here by hand: each test says exactly which attributes go on the wire.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core_harness.h"
#include "ferry/auth/long_term_key.h"
#include "ferry/auth/nonce.h"
#include "ferry/auth/rest_secrets.h"
#include "ferry/common/hmac.h"
#include "ferry/stun/attributes.h"
#include "ferry/stun/message.h"
#include "ferry/turn/dispatcher.h"
#include "turn_client_fake.h"

namespace ferry::turn {
namespace {

using stun::MessageBuilder;
namespace attr = stun::attr;

const Bytes kOffered(auth::kOfferedPasswordAlgorithms);
const std::array<std::uint8_t, 4> kSha256Entry = {0, 2, 0, 0};
const std::array<std::uint8_t, 4> kMd5Entry = {0, 1, 0, 0};

// What a signed request carries; the defaults are an RFC 8489 client that chose SHA-256.
struct Signed {
  std::optional<std::string> user = "alice";
  std::optional<std::string> hashed_user;  // USERHASH of this name (in example.org)
  std::string password = "secret";
  std::optional<std::vector<std::uint8_t>> algorithm =
      std::vector<std::uint8_t>(kSha256Entry.begin(), kSha256Entry.end());
  std::optional<std::vector<std::uint8_t>> algorithms =
      std::vector<std::uint8_t>(kOffered.begin(), kOffered.end());
  bool sha256_key = true;       // the key: SHA-256(user:realm:password), else MD5
  bool mi = false;              // MESSAGE-INTEGRITY (HMAC-SHA1)
  bool mi256 = true;            // MESSAGE-INTEGRITY-SHA256, after MESSAGE-INTEGRITY if both
  std::size_t mi256_size = 32;  // bytes of the HMAC-SHA256 kept (a truncated one: fewer)
  bool corrupt_mi = false;
  bool corrupt_mi256 = false;
};

class Sha256AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::enable_turn(h);
    ASSERT_TRUE(h.users.add("gorst:0xe851871095dc4a20e12847c2d7165ba6"));  // MD5 only
    h.start();
  }

  // The 401 to an unauthenticated Allocate: realm and nonce learnt.
  testing::Reply challenge(const FiveTuple& t) {
    std::array<std::uint8_t, 256> buf{};
    MessageBuilder b(buf, stun::Method::kAllocate, stun::Class::kRequest, next_tid());
    b.add(attr::RequestedTransport{attr::RequestedTransport::kUdp});
    testing::Reply r = deliver(t, b.finish());
    if (auto n = r.get<attr::Nonce>()) nonce = std::string(n->value);
    return r;
  }

  auth::MessageKey key_of(const Signed& s, bool sha256_integrity) const {
    const std::string name = s.user ? *s.user : *s.hashed_user;
    return s.sha256_key ? auth::MessageKey::sha256(
                              auth::sha256_key(name, "example.org", s.password), sha256_integrity)
                        : auth::MessageKey::md5(auth::md5_key(name, "example.org", s.password),
                                                sha256_integrity);
  }

  testing::Reply send(const FiveTuple& t, stun::Method method, const Signed& s,
                      bool allocate_udp = true) {
    std::array<std::uint8_t, 2048> buf{};
    MessageBuilder b(buf, method, stun::Class::kRequest, next_tid());
    if (method == stun::Method::kAllocate && allocate_udp) {
      b.add(attr::RequestedTransport{attr::RequestedTransport::kUdp});
    }
    if (method == stun::Method::kRefresh) b.add(attr::Lifetime{600});
    if (s.user) b.add(attr::Username{*s.user});
    auth::Sha256Key hash{};
    if (s.hashed_user) {
      hash = auth::userhash(*s.hashed_user, "example.org");
      b.add(attr::Userhash{Bytes(hash.data(), hash.size())});
    }
    b.add(attr::Realm{"example.org"});
    b.add(attr::Nonce{nonce});
    if (s.algorithms) b.add_raw(attr::PasswordAlgorithms::kType, testing::bytes_of(*s.algorithms));
    if (s.algorithm) b.add_raw(attr::PasswordAlgorithm::kType, testing::bytes_of(*s.algorithm));
    const auth::MessageKey k = key_of(s, false);
    if (s.mi) b.add_message_integrity(k.view());
    Bytes msg = b.finish();
    EXPECT_FALSE(msg.empty());
    if (msg.empty()) return {};
    std::vector<std::uint8_t> out(msg.begin(), msg.end());
    if (s.corrupt_mi) out.back() ^= 1;
    if (s.mi256) {
      // MESSAGE-INTEGRITY-SHA256 by hand, so that a truncated one can be made (§14.6): the
      // header's length counts the attribute, then the HMAC of everything before it.
      const std::size_t n = s.mi256_size;
      store_be16(&out[2], static_cast<std::uint16_t>(out.size() - 20 + 4 + n));
      std::array<std::uint8_t, 32> mac{};
      ferry::hmac(HmacDigest::kSha256, k.view(), Bytes(out.data(), out.size()), {}, mac.data());
      if (s.corrupt_mi256) mac[0] ^= 1;
      const std::array<std::uint8_t, 4> header = {0x00, 0x1C, 0x00, static_cast<std::uint8_t>(n)};
      out.insert(out.end(), header.begin(), header.end());
      out.insert(out.end(), mac.begin(), mac.begin() + static_cast<std::ptrdiff_t>(n));
    }
    return deliver(t, Bytes(out.data(), out.size()));
  }

  testing::Reply deliver(const FiveTuple& t, Bytes packet) {
    const std::size_t before = h.egress.client.size();
    h.server->on_client_packet(t, packet, h.now);
    testing::Reply r;
    for (std::size_t i = before; i < h.egress.client.size(); ++i) {
      if (h.egress.client[i].tuple == t) r = testing::Reply(h.egress.client[i].data);
    }
    return r;
  }

  stun::TransactionId next_tid() {
    last_tid = stun::TransactionId{0x5A, ++tid_counter};
    return last_tid;
  }

  static bool verifies(const testing::Reply& r, const auth::MessageKey& k) {
    if (!r.ok()) return false;
    return k.sha256_integrity ? stun::check_message_integrity_sha256(r.msg(), k.view())
                              : stun::check_message_integrity(r.msg(), k.view());
  }

  const Counters& counters() const { return h.server->counters(); }

  testing::CoreHarness h;
  std::string nonce;
  stun::TransactionId last_tid{};
  std::uint8_t tid_counter = 0;
  FiveTuple client = testing::udp_tuple("198.51.100.7:40000");
};

// §9.2.4: the 401 lists PASSWORD-ALGORITHMS, SHA-256 first; the nonce cookie has the
// "Password algorithms" bit, and "Username anonymity" since static users can be found by
// USERHASH. No integrity, no USERNAME.
TEST_F(Sha256AuthTest, ChallengeOffersSha256AndTheCookie) {
  testing::Reply r = challenge(client);
  ASSERT_EQ(r.error(), 401);
  auto raw = r.msg().find(attr::PasswordAlgorithms::kType);
  ASSERT_TRUE(raw);
  EXPECT_EQ(std::vector<std::uint8_t>(raw->value.begin(), raw->value.end()),
            std::vector<std::uint8_t>(kOffered.begin(), kOffered.end()));
  EXPECT_EQ(nonce.substr(0, 13), "obMatJos2AAAD");
  EXPECT_FALSE(r.has_integrity());
  EXPECT_FALSE(r.msg().message_integrity_sha256());
}

TEST_F(Sha256AuthTest, Sha256AllocateAndRefreshAreSignedWithTheSha256Key) {
  challenge(client);
  testing::Reply a = send(client, stun::Method::kAllocate, Signed{});
  ASSERT_TRUE(a.success()) << a.error();
  const auth::MessageKey k = key_of(Signed{}, true);
  EXPECT_TRUE(verifies(a, k));
  EXPECT_FALSE(a.has_integrity());  // only one of the two (§9.2.4)
  EXPECT_FALSE(a.get<attr::Username>());
  testing::Reply r = send(client, stun::Method::kRefresh, Signed{});
  ASSERT_TRUE(r.success()) << r.error();
  EXPECT_TRUE(verifies(r, k));
  EXPECT_EQ(counters().auth_sha256.get(), 2u);
  EXPECT_EQ(counters().auth_md5.get(), 0u);
}

// An RFC 8489 client that chose MD5 still signs with MESSAGE-INTEGRITY-SHA256 (§9.2.5), and
// the answer carries MESSAGE-INTEGRITY-SHA256 keyed with the MD5 key (§9.2.4).
TEST_F(Sha256AuthTest, Md5ChosenFromTheListIsAnsweredWithSha256Integrity) {
  challenge(client);
  Signed s;
  s.algorithm = std::vector<std::uint8_t>(kMd5Entry.begin(), kMd5Entry.end());
  s.sha256_key = false;
  testing::Reply a = send(client, stun::Method::kAllocate, s);
  ASSERT_TRUE(a.success()) << a.error();
  EXPECT_TRUE(verifies(a, key_of(s, true)));
  EXPECT_EQ(counters().auth_md5.get(), 1u);
}

// §9.2.4: a request with neither attribute is processed as MD5 and answered with
// MESSAGE-INTEGRITY, exactly as before RFC 8489 (browsers, RFC 5389 clients).
TEST_F(Sha256AuthTest, NeitherAttributeIsMd5AsBefore) {
  challenge(client);
  Signed s;
  s.algorithm.reset();
  s.algorithms.reset();
  s.sha256_key = false;
  s.mi = true;
  s.mi256 = false;
  testing::Reply a = send(client, stun::Method::kAllocate, s);
  ASSERT_TRUE(a.success()) << a.error();
  EXPECT_TRUE(verifies(a, key_of(s, false)));
  EXPECT_FALSE(a.msg().message_integrity_sha256());
}

// Bid-down (§9.2.1, §9.2.4 third check): whatever an attacker on the path did to the 401's
// PASSWORD-ALGORITHMS shows in the request, which echoes it under the integrity: 400.
TEST_F(Sha256AuthTest, BidDownAttemptsAre400) {
  challenge(client);
  std::vector<Signed> attempts;
  Signed no_list;  // PASSWORD-ALGORITHMS stripped, PASSWORD-ALGORITHM kept
  no_list.algorithms.reset();
  attempts.push_back(no_list);
  Signed no_choice;  // the list echoed, no choice made
  no_choice.algorithm.reset();
  attempts.push_back(no_choice);
  Signed md5_only;  // the list cut down to MD5 (as a man in the middle would)
  md5_only.algorithms = std::vector<std::uint8_t>(kMd5Entry.begin(), kMd5Entry.end());
  md5_only.algorithm = std::vector<std::uint8_t>(kMd5Entry.begin(), kMd5Entry.end());
  md5_only.sha256_key = false;
  attempts.push_back(md5_only);
  Signed reordered;  // MD5 put first
  reordered.algorithms = std::vector<std::uint8_t>{0, 1, 0, 0, 0, 2, 0, 0};
  attempts.push_back(reordered);
  Signed unknown;  // an algorithm nobody offered
  unknown.algorithm = std::vector<std::uint8_t>{0, 3, 0, 0};
  attempts.push_back(unknown);
  Signed md5_params;  // MD5 takes no parameters (§18.5.1.1)
  md5_params.algorithm = std::vector<std::uint8_t>{0, 1, 0, 4, 1, 2, 3, 4};
  md5_params.sha256_key = false;
  attempts.push_back(md5_params);
  Signed oversized;  // the offered list and then 100 more entries
  oversized.algorithms = std::vector<std::uint8_t>(kOffered.begin(), kOffered.end());
  for (int i = 0; i < 100; ++i)
    oversized.algorithms->insert(oversized.algorithms->end(), {0, 2, 0, 0});
  attempts.push_back(oversized);
  for (std::size_t i = 0; i < attempts.size(); ++i) {
    testing::Reply r = send(client, stun::Method::kAllocate, attempts[i]);
    EXPECT_EQ(r.error(), 400) << "attempt " << i;
    EXPECT_FALSE(r.has_integrity()) << "attempt " << i;
  }
  EXPECT_EQ(counters().auth_bad_algorithm.get(), attempts.size());
  EXPECT_EQ(h.server->allocation_count(), 0u);
}

// Stripping both attributes is the one bid-down the server cannot tell from an RFC 5389
// client: §9.2.4 processes such a request as MD5. It cannot be done to a signed request
// without breaking its integrity; done to the 401 (PASSWORD-ALGORITHMS removed), an RFC 8489
// client refuses to go on, since the cookie says the list was sent (§9.2.5).
TEST_F(Sha256AuthTest, StrippingBothIsMd5AsAnRfc5389Client) {
  challenge(client);
  Signed s;
  s.algorithm.reset();
  s.algorithms.reset();
  s.sha256_key = false;
  testing::Reply a = send(client, stun::Method::kAllocate, s);
  ASSERT_TRUE(a.success()) << a.error();
  EXPECT_TRUE(verifies(a, key_of(s, false)));  // MESSAGE-INTEGRITY, as for RFC 5389
  EXPECT_EQ(counters().auth_md5.get(), 1u);
}

// The cookie's bits are under the nonce's HMAC: clearing "Password algorithms" so that the
// server would skip its checks makes the nonce one it never issued.
TEST_F(Sha256AuthTest, ClearingTheCookieBitIsCaughtByTheNonceHmac) {
  challenge(client);
  nonce[12] = 'C';  // "Username anonymity" only: "Password algorithms" cleared
  testing::Reply r = send(client, stun::Method::kAllocate, Signed{});
  EXPECT_EQ(r.error(), 438);  // not a nonce of ours any more
  EXPECT_EQ(h.server->allocation_count(), 0u);
}

// §14.6 allows a usage to truncate MESSAGE-INTEGRITY-SHA256 to 16..28 bytes; TURN does not,
// so only the full 32 bytes are accepted (400 otherwise); a forged full one is 401.
TEST_F(Sha256AuthTest, TruncatedOrForgedSha256Integrity) {
  challenge(client);
  for (std::size_t size : {16u, 20u, 28u}) {
    Signed s;
    s.mi256_size = size;
    EXPECT_EQ(send(client, stun::Method::kAllocate, s).error(), 400) << size;
  }
  Signed forged;
  forged.corrupt_mi256 = true;
  EXPECT_EQ(send(client, stun::Method::kAllocate, forged).error(), 401);
  EXPECT_EQ(counters().auth_bad_integrity.get(), 1u);
  EXPECT_EQ(h.server->allocation_count(), 0u);
}

// §9.2.4: with both present, MESSAGE-INTEGRITY-SHA256 is the one checked.
TEST_F(Sha256AuthTest, WithBothIntegritiesTheSha256OneIsChecked) {
  challenge(client);
  Signed bad_sha1;
  bad_sha1.mi = true;
  bad_sha1.corrupt_mi = true;
  EXPECT_TRUE(send(client, stun::Method::kAllocate, bad_sha1).success());
  FiveTuple other = testing::udp_tuple("198.51.100.8:40000");
  challenge(other);
  Signed bad_sha256;
  bad_sha256.mi = true;
  bad_sha256.corrupt_mi256 = true;
  EXPECT_EQ(send(other, stun::Method::kAllocate, bad_sha256).error(), 401);
}

// An account stored as 0x<MD5> has no SHA-256 key (the password is unknown): SHA-256 is
// answered 401 as a wrong password is, after the same one HMAC; MD5 still works for it.
TEST_F(Sha256AuthTest, AnMd5OnlyAccountCannotUseSha256) {
  challenge(client);
  Signed s;
  s.user = "gorst";
  s.password = "hero";
  const std::uint64_t before = stun::integrity_checks_on_this_thread();
  EXPECT_EQ(send(client, stun::Method::kAllocate, s).error(), 401);
  EXPECT_EQ(stun::integrity_checks_on_this_thread() - before, 1u);
  EXPECT_EQ(counters().auth_no_sha256_key.get(), 1u);
  s.algorithm = std::vector<std::uint8_t>(kMd5Entry.begin(), kMd5Entry.end());
  s.sha256_key = false;
  EXPECT_TRUE(send(client, stun::Method::kAllocate, s).success());
}

// §9.2.4, §14.4: USERHASH names the user; the answers name nobody.
TEST_F(Sha256AuthTest, UserhashAllocatesAndRefreshes) {
  challenge(client);
  Signed s;
  s.user.reset();
  s.hashed_user = "alice";
  testing::Reply a = send(client, stun::Method::kAllocate, s);
  ASSERT_TRUE(a.success()) << a.error();
  EXPECT_TRUE(verifies(a, key_of(s, true)));
  EXPECT_FALSE(a.get<attr::Username>());
  EXPECT_FALSE(a.msg().find(attr::Userhash::kType));
  EXPECT_TRUE(send(client, stun::Method::kRefresh, s).success());
  // The allocation is alice's: her USERNAME refreshes it, bob's is 441 (RFC 8656 §5).
  EXPECT_TRUE(send(client, stun::Method::kRefresh, Signed{}).success());
  Signed bob;
  bob.user = "bob";
  bob.password = "hunter2";
  EXPECT_EQ(send(client, stun::Method::kRefresh, bob).error(), 441);
  EXPECT_EQ(counters().auth_userhash.get(), 2u);
}

// An unknown USERHASH is answered as an unknown USERNAME is: 401 after one HMAC.
TEST_F(Sha256AuthTest, UnknownUserhashCostsWhatAnUnknownUsernameCosts) {
  challenge(client);
  Signed by_hash;
  by_hash.user.reset();
  by_hash.hashed_user = "mallory";
  Signed by_name;
  by_name.user = "mallory";
  std::uint64_t before = stun::integrity_checks_on_this_thread();
  EXPECT_EQ(send(client, stun::Method::kAllocate, by_hash).error(), 401);
  EXPECT_EQ(stun::integrity_checks_on_this_thread() - before, 1u);
  before = stun::integrity_checks_on_this_thread();
  EXPECT_EQ(send(client, stun::Method::kAllocate, by_name).error(), 401);
  EXPECT_EQ(stun::integrity_checks_on_this_thread() - before, 1u);
  EXPECT_EQ(counters().auth_unknown_user.get(), 2u);
}

// USERNAME and USERHASH together: which name the key belongs to would be a guess: 400.
TEST_F(Sha256AuthTest, UserhashWithUsernameIs400) {
  challenge(client);
  Signed s;
  s.hashed_user = "bob";
  EXPECT_EQ(send(client, stun::Method::kAllocate, s).error(), 400);
  EXPECT_EQ(counters().auth_bad_request.get(), 1u);
}

// The same user may switch algorithms on an allocation (RFC 8656 §5 asks only for the same
// username): each answer is signed with the key its request proved.
TEST_F(Sha256AuthTest, TheSameUserMaySwitchAlgorithms) {
  challenge(client);
  ASSERT_TRUE(send(client, stun::Method::kAllocate, Signed{}).success());
  Signed md5;
  md5.algorithm.reset();
  md5.algorithms.reset();
  md5.sha256_key = false;
  md5.mi = true;
  md5.mi256 = false;
  testing::Reply r = send(client, stun::Method::kRefresh, md5);
  ASSERT_TRUE(r.success()) << r.error();
  EXPECT_TRUE(verifies(r, key_of(md5, false)));
  testing::Reply back = send(client, stun::Method::kRefresh, Signed{});
  ASSERT_TRUE(back.success()) << back.error();
  EXPECT_TRUE(verifies(back, key_of(Signed{}, true)));
}

// TURN REST secrets cannot find a name by its hash: the cookie does not announce username
// anonymity, and SHA-256 with the USERNAME works.
TEST(Sha256RestAuthTest, RestHasSha256ButNoUserhash) {
  testing::CoreHarness h;
  testing::enable_turn(h);
  auth::RestSecrets store({"north-secret"}, "example.org", ':');
  h.credentials = &store;
  h.start();
  testing::TurnClient c{h, testing::udp_tuple("198.51.100.7:40000"), "x", "y"};
  ASSERT_EQ(c.challenge().error(), 401);
  EXPECT_EQ(c.nonce().substr(0, 13), "obMatJos2AAAB");
}

}  // namespace
}  // namespace ferry::turn
