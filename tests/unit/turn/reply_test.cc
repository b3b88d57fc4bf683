// turn::Reply is copied on its way to respond(): a copy must keep every attribute's value.
// GCC 12.2 at -O2 once lost a copied UNKNOWN-ATTRIBUTES' values (reply.h, top CMakeLists):
// this test holds the copy to account for every attribute kind a handler adds.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "reply.h"

namespace ferry::turn {
namespace {

namespace attr = stun::attr;

// The attributes as text, in order, so two replies can be compared.
std::vector<std::string> describe(const Reply& r) {
  std::vector<std::string> out;
  r.for_each_attribute([&](const auto& a) {
    using A = std::decay_t<decltype(a)>;
    std::string s = std::to_string(A::kType) + ":";
    if constexpr (requires { a.address; }) s += a.address.to_string();
    if constexpr (requires { a.seconds; }) s += std::to_string(a.seconds);
    if constexpr (requires { a.list(); }) {
      for (auto t : a.list()) s += std::to_string(t) + ",";
    }
    out.push_back(s);
  });
  return out;
}

// Not inlined, with the attribute built from a run-time value: the shape that was miscompiled
// (a local attribute, emplaced into the reply that with() returns, copied into the result).
__attribute__((noinline)) Reply make_full(int unknown_count) {
  attr::UnknownAttributes unknown;
  for (int i = 0; i < unknown_count; ++i) unknown.push(static_cast<std::uint16_t>(0x7FFE + i));
  return Reply::error(stun::ErrorCode::kUnknownAttribute)
      .with(unknown)
      .with(attr::XorMappedAddress{*Address::parse_endpoint("198.51.100.7:40000")})
      .with(attr::XorRelayedAddress{*Address::parse_endpoint("192.0.2.1:50000")})
      .with(attr::Lifetime{600})
      .with(attr::MappedAddress{*Address::parse_endpoint("[2001:db8::1]:9")});
}

TEST(Reply, ACopyKeepsEveryAttributeValue) {
  volatile int two = 2;                   // not a constant the compiler can fold
  const Reply original = make_full(two);  // copied from the reference with() returns
  const std::vector<std::string> expected = {"10:32766,32767,", "32:198.51.100.7:40000",
                                             "22:192.0.2.1:50000", "13:600", "1:[2001:db8::1]:9"};
  EXPECT_EQ(describe(original), expected);
  const Reply copy = original;
  EXPECT_EQ(describe(copy), expected);
  EXPECT_EQ(copy.code(), stun::ErrorCode::kUnknownAttribute);
}

// The shape exactly as respond() meets it for a 420: one attribute.
__attribute__((noinline)) Reply make_420(int n) {
  attr::UnknownAttributes unknown;
  for (int i = 0; i < n; ++i) unknown.push(static_cast<std::uint16_t>(0x1234 + i));
  return Reply::error(stun::ErrorCode::kUnknownAttribute).with(unknown);
}

TEST(Reply, A420KeepsItsUnknownAttributes) {
  volatile int three = 3;
  const Reply r = make_420(three);
  EXPECT_EQ(describe(r), std::vector<std::string>{"10:4660,4661,4662,"});
}

}  // namespace
}  // namespace ferry::turn
