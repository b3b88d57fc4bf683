#include "values.h"

#include <array>

#include "text_util.h"

namespace ferry::config {
namespace detail {
namespace {

bool equals_lower(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (to_lower(text[i]) != lower[i]) return false;
  }
  return true;
}

Checked fail(std::string_view written, const OptionSpec& spec, std::string_view got) {
  return {false, "", quoted(written) + " expects " + expected_value(spec) + ", got " + quoted(got)};
}

Checked check_integer(const OptionSpec& spec, std::string_view text, std::string_view written) {
  auto v = parse_decimal(text);
  if (!v || *v < spec.min || *v > spec.max) return fail(written, spec, text);
  return {true, std::to_string(*v), ""};
}

Checked check_flag_or_int(const OptionSpec& spec, std::optional<std::string_view> value,
                          std::string_view written) {
  // Bare name: on, with the table's number (coturn: `stale-nonce` means 600 seconds).
  if (!value) return {true, std::string(spec.default_value), ""};
  if (auto v = parse_decimal(*value)) return check_integer(spec, *value, written);
  if (auto b = parse_bool(*value)) {
    return {true, *b ? std::string(spec.default_value) : std::string("0"), ""};
  }
  return fail(written, spec, *value);
}

}  // namespace

std::string quoted(std::string_view s) {
  return "'" + std::string(s) + "'";
}

std::optional<bool> parse_bool(std::string_view text) {
  constexpr std::array<std::string_view, 6> kFalse = {"0", "n", "no", "f", "false", "off"};
  constexpr std::array<std::string_view, 5> kTrue = {"y", "yes", "t", "true", "on"};
  for (auto w : kFalse) {
    if (equals_lower(text, w)) return false;
  }
  for (auto w : kTrue) {
    if (equals_lower(text, w)) return true;
  }
  if (auto n = parse_decimal(text); n && *n >= 0) return *n != 0;
  return std::nullopt;
}

Checked check_value(const OptionSpec& spec, std::optional<std::string_view> value,
                    std::string_view written) {
  switch (spec.type) {
    case OptionType::kFlag: {
      if (!value) return {true, "true", ""};
      auto b = parse_bool(*value);
      if (!b) return fail(written, spec, *value);
      return {true, *b ? "true" : "false", ""};
    }
    case OptionType::kFlagOrInt:
      return check_flag_or_int(spec, value, written);
    case OptionType::kInt:
      if (!value)
        return {false, "", quoted(written) + " needs a value (" + expected_value(spec) + ")"};
      return check_integer(spec, *value, written);
    case OptionType::kString:
    case OptionType::kList:
      if (!value)
        return {false, "", quoted(written) + " needs a value (" + expected_value(spec) + ")"};
      return {true, std::string(*value), ""};
  }
  return {false, "", "unreachable"};
}

}  // namespace detail

std::string expected_value(const OptionSpec& spec) {
  auto range = std::to_string(spec.min) + ".." + std::to_string(spec.max);
  auto what = spec.value_name.empty() ? std::string("a string") : std::string(spec.value_name);
  switch (spec.type) {
    case OptionType::kFlag:
      return "a flag (yes/no, true/false, on/off, 1/0)";
    case OptionType::kFlagOrInt:
      return "a flag or an integer " + range;
    case OptionType::kInt:
      return "an integer " + range;
    case OptionType::kString:
      return what;
    case OptionType::kList:
      return what + " (repeatable)";
  }
  return "a value";
}

}  // namespace ferry::config
