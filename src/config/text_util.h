// Small text helpers shared by the table checks (at compile time) and the readers.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ferry::config::detail {

constexpr bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
constexpr bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
constexpr char to_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Decimal only, optional leading '-' or '+', no blanks: "0x10" or "1e3" in a port is a mistake
// the operator should hear about rather than a value we guess.
constexpr std::optional<std::int64_t> parse_decimal(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || s.size() > 19) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
  auto signed_value = static_cast<std::int64_t>(v);
  return negative ? -signed_value : signed_value;
}

template <typename F>
constexpr void for_each_word(std::string_view words, F&& f) {
  while (!words.empty()) {
    auto start = words.find_first_not_of(' ');
    if (start == std::string_view::npos) return;
    words.remove_prefix(start);
    auto end = words.find(' ');
    f(words.substr(0, end));
    if (end == std::string_view::npos) return;
    words.remove_prefix(end);
  }
}

constexpr std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace ferry::config::detail
