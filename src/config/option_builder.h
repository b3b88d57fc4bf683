// A compact, compile-time way to write option rows: each row reads as one sentence
// (name, type, help, then only the properties that differ from the usual), and the whole table
// stays constexpr so nothing is initialised at run time.
#pragma once

#include <cstdint>
#include <string_view>

#include "ferry/config/options.h"

namespace ferry::config::detail {

inline constexpr OptionType kFlag = OptionType::kFlag;
inline constexpr OptionType kFlagOrInt = OptionType::kFlagOrInt;
inline constexpr OptionType kInt = OptionType::kInt;
inline constexpr OptionType kString = OptionType::kString;
inline constexpr OptionType kList = OptionType::kList;

inline constexpr std::int64_t kIntMax = 2147483647;
inline constexpr std::int64_t kInt64Max = 9223372036854775807;

class Opt {
 public:
  constexpr Opt(std::string_view section, std::string_view name, OptionType type,
                std::string_view help) {
    s_.section = section;
    s_.name = name;
    s_.type = type;
    s_.help = help;
    s_.repeatable = type == kList;
    if (type == kInt || type == kFlagOrInt) s_.max = kIntMax;
  }
  constexpr Opt& alias(std::string_view names) {
    s_.aliases = names;
    return *this;
  }
  constexpr Opt& letter(char c) {
    s_.short_flag = c;
    return *this;
  }
  constexpr Opt& def(std::string_view value) {
    s_.default_value = value;
    return *this;
  }
  constexpr Opt& range(std::int64_t lo, std::int64_t hi) {
    s_.min = lo;
    s_.max = hi;
    return *this;
  }
  constexpr Opt& port() { return range(0, 65535).arg("PORT"); }
  constexpr Opt& arg(std::string_view value_name) {
    s_.value_name = value_name;
    return *this;
  }
  constexpr Opt& reload() {
    s_.reloadable = true;
    return *this;
  }
  constexpr Opt& impl() {
    s_.support = Support::kImplemented;
    return *this;
  }
  constexpr Opt& obsolete(std::string_view replaced_by) {
    s_.support = Support::kObsolete;
    s_.replaced_by = replaced_by;
    return *this;
  }
  constexpr operator OptionSpec() const { return s_; }  // NOLINT: rows convert implicitly

 private:
  OptionSpec s_;
};

}  // namespace ferry::config::detail
