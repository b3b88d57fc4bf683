// The credential endpoint's pure pieces: the key check, the query and user-part rules, the URI
// list a server derives from its settings, the two JSON shapes, origins and certificate names.
#include "ferry/http/credentials.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "ferry/auth/rest_secrets.h"

namespace ferry::http {
namespace {

Address ip(const char* text) {
  return *Address::parse_ip(text);
}

// The function's behaviour, not its timing (a timing test would be flaky on a shared machine):
// right on equal contents only, whatever the lengths, and no prefix counts as a match.
TEST(ConstantTimeEqual, EqualOnlyOnEqualContents) {
  EXPECT_TRUE(constant_time_equal("s3cret-key", "s3cret-key"));
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_FALSE(constant_time_equal("s3cret-key", "s3cret-kez"));
  EXPECT_FALSE(constant_time_equal("s3cret-key", "s3cret-ke"));    // a prefix
  EXPECT_FALSE(constant_time_equal("s3cret-key", "s3cret-key1"));  // longer
  EXPECT_FALSE(constant_time_equal("s3cret-key", ""));
  EXPECT_FALSE(constant_time_equal("", "x"));
  EXPECT_FALSE(constant_time_equal(std::string("a\0b", 3), std::string("a\0c", 3)));
  EXPECT_FALSE(constant_time_equal("a", std::string("a\0", 2)));  // a NUL is no terminator
}

TEST(KeyMatches, AnyConfiguredKeyButNeverAnEmptyOne) {
  const std::vector<std::string> keys = {"first-key-0123456789", "second-key-012345678"};
  EXPECT_TRUE(key_matches(keys, "first-key-0123456789"));
  EXPECT_TRUE(key_matches(keys, "second-key-012345678"));
  EXPECT_FALSE(key_matches(keys, "third-key-0123456789"));
  EXPECT_FALSE(key_matches(keys, ""));
  EXPECT_FALSE(key_matches({""}, ""));
  EXPECT_FALSE(key_matches({}, "anything"));
}

TEST(PresentedKey, BearerHeaderFirstThenTheQuery) {
  EXPECT_EQ(presented_key("Bearer abc", "q"), "abc");
  EXPECT_EQ(presented_key("bearer abc", ""), "abc");
  EXPECT_EQ(presented_key("BEARER abc", ""), "abc");
  EXPECT_EQ(presented_key("", "from-query"), "from-query");
  // Another scheme is not a key, and does not fall back to the query either.
  EXPECT_EQ(presented_key("Basic dXNlcjpwYXNz", "from-query"), "");
  EXPECT_EQ(presented_key("Bearer ", "from-query"), "");
}

TEST(ParseQuery, DecodesFormEncoding) {
  auto q = parse_query("username=al%40ice+b&key=k%2Bey&&flag&x=");
  ASSERT_TRUE(q);
  EXPECT_EQ(*q, (QueryParams{{"username", "al@ice b"}, {"key", "k+ey"}, {"flag", ""}, {"x", ""}}));
  EXPECT_EQ(parse_query("")->size(), 0u);
  EXPECT_EQ((*parse_query("a=%00"))[0].second, std::string(1, '\0'));  // decoded; checked later
}

TEST(ParseQuery, RefusesMalformedAndOversized) {
  for (const char* bad : {"a=%", "a=%4", "a=%zz", "a=%4g", "%=1"}) {
    EXPECT_FALSE(parse_query(bad)) << bad;
  }
  std::string many;
  for (std::size_t i = 0; i <= kMaxQueryParams; ++i) many += "p" + std::to_string(i) + "=1&";
  EXPECT_FALSE(parse_query(many));
  EXPECT_FALSE(parse_query("username=" + std::string(kMaxQueryValue + 1, 'a')));
  EXPECT_TRUE(parse_query("username=" + std::string(kMaxQueryValue, 'a')));
}

TEST(UserPart, AcceptsPlainNames) {
  for (const char* good : {"alice", "user-42", "a.b_c~d", "alice@example.org", "x+y=z", "0"}) {
    EXPECT_FALSE(user_part_problem(good, ':')) << good;
  }
  EXPECT_FALSE(user_part_problem(std::string(kMaxUserPart, 'a'), ':'));
}

TEST(UserPart, RefusesHostileNames) {
  EXPECT_TRUE(user_part_problem("", ':'));
  EXPECT_TRUE(user_part_problem(std::string(kMaxUserPart + 1, 'a'), ':'));
  EXPECT_TRUE(user_part_problem(std::string(10 * 1024, 'a'), ':'));  // 10 KB
  // The separator would make a name whose expiry the server reads from the wrong place.
  EXPECT_TRUE(user_part_problem("1:2", ':'));
  EXPECT_TRUE(user_part_problem("a-b", '-'));
  for (const std::string& bad :
       {std::string("a\0b", 3), std::string("a\nb"), std::string("a\rb"), std::string("a\x7f"),
        std::string("a b"), std::string("a\"b"), std::string("a\\b"), std::string("<script>"),
        std::string("caf\xc3\xa9")}) {
    EXPECT_TRUE(user_part_problem(bad, ':')) << bad;
  }
  // The error text never echoes the name (it may be anything).
  EXPECT_EQ(user_part_problem("<script>", ':')->find("script"), std::string::npos);
}

TEST(RandomUserPart, SixteenHexDigitsEachTime) {
  const std::string a = random_user_part(), b = random_user_part();
  EXPECT_EQ(a.size(), 16u);
  EXPECT_NE(a, b);
  EXPECT_FALSE(user_part_problem(a, ':'));
}

PageInfo page(std::vector<Address> addresses) {
  return PageInfo{.software = "Ferry/9", .realm = "r", .port = 3478, .addresses = addresses};
}

TEST(Uris, FromTheAddressesAndTransports) {
  PageInfo p = page({ip("192.0.2.10"), ip("2001:db8::10")});
  EXPECT_EQ(turn_uris(p), (std::vector<std::string>{"turn:192.0.2.10:3478?transport=udp",
                                                    "turn:192.0.2.10:3478?transport=tcp",
                                                    "turn:[2001:db8::10]:3478?transport=udp",
                                                    "turn:[2001:db8::10]:3478?transport=tcp"}));
  EXPECT_EQ(stun_uris(p),
            (std::vector<std::string>{"stun:192.0.2.10:3478", "stun:[2001:db8::10]:3478"}));
  p.tcp = false;
  EXPECT_EQ(turn_uris(p), (std::vector<std::string>{"turn:192.0.2.10:3478?transport=udp",
                                                    "turn:[2001:db8::10]:3478?transport=udp"}));
}

TEST(Uris, LoopbackLinkLocalAndWildcardAreNotWhereClientsGo) {
  PageInfo p = page({ip("127.0.0.1"), ip("::1"), ip("fe80::1"), ip("0.0.0.0"), ip("192.0.2.10"),
                     ip("192.0.2.10")});
  EXPECT_EQ(stun_uris(p), (std::vector<std::string>{"stun:192.0.2.10:3478"}));
  // A server on loopback alone (a trial on one machine) names loopback.
  EXPECT_EQ(stun_uris(page({ip("127.0.0.1")})), (std::vector<std::string>{"stun:127.0.0.1:3478"}));
  EXPECT_TRUE(turn_uris(page({})).empty());
}

TEST(Uris, TurnsUsesTheCertificateNameWhenKnown) {
  PageInfo p = page({ip("192.0.2.10"), ip("2001:db8::10")});
  p.udp = false;
  p.tcp = false;
  p.tls_port = 5349;
  EXPECT_EQ(turn_uris(p), (std::vector<std::string>{"turns:192.0.2.10:5349?transport=tcp",
                                                    "turns:[2001:db8::10]:5349?transport=tcp"}));
  p.tls_name = "turn.example.org";
  EXPECT_EQ(turn_uris(p), (std::vector<std::string>{"turns:turn.example.org:5349?transport=tcp"}));
}

TEST(Mint, ACoturnRestCredential) {
  // CONFORMANCE.md's vector: secret "north", username "1433895918:ninefingers".
  const Credential c = mint("north", "ninefingers", ':', 1433895918 - 600, 600);
  EXPECT_EQ(c.username, "1433895918:ninefingers");
  EXPECT_EQ(c.password, "jy8hTxmOO7UtEKXqSkSlvakPVYA=");
  EXPECT_EQ(c.ttl, 600);
  EXPECT_EQ(auth::rest_expiry(c.username, ':'), 1433895918);
  // And the server's own store accepts it until it expires.
  auth::RestSecrets store({"north"}, "r", ':');
  EXPECT_EQ(store.find(c.username, "r", 1433895918 - 1).status, auth::Lookup::Status::kFound);
  EXPECT_EQ(store.find(c.username, "r", 1433895918 + 1).status, auth::Lookup::Status::kExpired);
}

TEST(Json, TheRestDraftShape) {
  const Credential c{.username = "100:alice", .password = "p+/=", .ttl = 60};
  EXPECT_EQ(rest_json(c, {"turn:192.0.2.1:3478?transport=udp"}),
            "{\"username\":\"100:alice\",\"password\":\"p+/=\",\"ttl\":60,"
            "\"uris\":[\"turn:192.0.2.1:3478?transport=udp\"]}\n");
}

TEST(Json, AnRtcConfiguration) {
  const Credential c{.username = "100:alice", .password = "pw", .ttl = 60};
  EXPECT_EQ(ice_servers_json(c, {"stun:192.0.2.1:3478"}, {"turn:192.0.2.1:3478?transport=udp"}),
            "{\"iceServers\":[{\"urls\":[\"stun:192.0.2.1:3478\"]},"
            "{\"urls\":[\"turn:192.0.2.1:3478?transport=udp\"],\"username\":\"100:alice\","
            "\"credential\":\"pw\"}]}\n");
  EXPECT_EQ(ice_servers_json(c, {}, {}), "{\"iceServers\":[]}\n");
}

TEST(Origins, TheShapeBrowsersSend) {
  for (const char* good : {"https://app.example.org", "http://127.0.0.1:8080",
                           "https://[2001:db8::1]", "http://[::1]:3000", "http://localhost"}) {
    EXPECT_FALSE(origin_problem(good)) << good;
  }
  for (const char* bad :
       {"*", "null", "app.example.org", "https://app.example.org/", "https://app.example.org/x",
        "https://App.example.org", "ftp://x", "https://", "https://x:", "https://x:99999",
        "https://x:0", "https://[::1", "https://[nothex]", "https://a b"}) {
    EXPECT_TRUE(origin_problem(bad)) << bad;
  }
}

// A self-signed certificate with DNS and IP names, written to a temp file.
std::string write_certificate(const char* dir) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), 0);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, key);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(
      nullptr, &ctx, NID_subject_alt_name,
      "DNS:*.example.org, IP:192.0.2.1, DNS:turn.example.org, DNS:alt.example.org");
  X509_add_ext(x, ext, -1);
  X509_EXTENSION_free(ext);
  X509_sign(x, key, EVP_sha256());
  const std::string path = std::string(dir) + "/cert.pem";
  FILE* f = std::fopen(path.c_str(), "w");
  PEM_write_X509(f, x);
  std::fclose(f);
  X509_free(x);
  EVP_PKEY_free(key);
  return path;
}

TEST(CertificateNames, DnsNamesWithoutWildcards) {
  char dir[] = "/tmp/ferry-cert-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = write_certificate(dir);
  EXPECT_EQ(certificate_dns_names(path),
            (std::vector<std::string>{"turn.example.org", "alt.example.org"}));
  EXPECT_TRUE(certificate_dns_names(std::string(dir) + "/missing.pem").empty());
  std::remove(path.c_str());
  rmdir(dir);
}

TEST(Counters, SnapshotCopiesEachCount) {
  CredentialCounters n;
  n.issued_api += 2;
  n.issued_test_page += 1;
  n.refuse(Refusal::kBadKey);
  n.refuse(Refusal::kBadKey);
  n.refuse(Refusal::kRateLimited);
  const CredentialCounts c = n.snapshot();
  EXPECT_EQ(c.issued_api, 2u);
  EXPECT_EQ(c.issued_test_page, 1u);
  EXPECT_EQ(c.refused[static_cast<std::size_t>(Refusal::kBadKey)], 2u);
  EXPECT_EQ(c.refused[static_cast<std::size_t>(Refusal::kRateLimited)], 1u);
  EXPECT_EQ(c.refused[static_cast<std::size_t>(Refusal::kOrigin)], 0u);
}

}  // namespace
}  // namespace ferry::http
