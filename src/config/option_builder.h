// A compact, compile-time way to write option rows: each row reads as one sentence
// (name, type, help, then only the properties that differ from the usual), and the whole table
// stays constexpr so nothing is initialised at run time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "bind.h"
#include "ferry/config/options.h"

namespace ferry::config::detail {

inline constexpr OptionType kFlag = OptionType::kFlag;
inline constexpr OptionType kFlagOrInt = OptionType::kFlagOrInt;
inline constexpr OptionType kInt = OptionType::kInt;
inline constexpr OptionType kString = OptionType::kString;
inline constexpr OptionType kList = OptionType::kList;

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
  // Implemented: the value goes into `Field` (a member pointer such as
  // &net::ServerSettings::min_port), converted by the field's type (bind.h).
  template <auto Field>
  constexpr Opt& to() {
    check_fits<typename MemberOf<decltype(Field)>::Type>();
    s_.support = Support::kImplemented;
    s_.apply = &apply_field<Field>;
    s_.field_max = field_max<Field>();
    return *this;
  }
  // Implemented, for a no-... flag: given, it turns the field off (no-udp -> udp); absent, the
  // field keeps its default or an earlier row's value.
  template <auto Field>
  constexpr Opt& to_not() {
    check_fits<typename MemberOf<decltype(Field)>::Type>();
    s_.support = Support::kImplemented;
    s_.apply = &apply_negated<Field>;
    s_.field_max = 1;
    return *this;
  }
  // Implemented by a conversion no field type expresses (bind.h's apply_* functions).
  constexpr Opt& with(Apply apply) {
    s_.support = Support::kImplemented;
    s_.apply = apply;
    s_.field_max = kInt64Max;
    return *this;
  }
  // Implemented by the loader itself (-c, -n, --help, --version, --check-config).
  constexpr Opt& action() {
    s_.support = Support::kImplemented;
    s_.command_line = true;
    return *this;
  }
  constexpr Opt& secret() {
    s_.secret = true;
    return *this;
  }
  constexpr Opt& always(std::string_view why) {
    s_.support = Support::kAlways;
    s_.note = why;
    return *this;
  }
  constexpr Opt& obsolete(std::string_view note) {
    s_.support = Support::kObsolete;
    s_.note = note;
    return *this;
  }
  constexpr operator OptionSpec() const { return s_; }  // NOLINT: rows convert implicitly

 private:
  // A row whose type cannot fill its field (a string option bound to a number, a negative
  // minimum for an unsigned field) fails to compile: the throw is reached while the constexpr
  // table is evaluated. to<>() comes last in a row, after range().
  template <class T>
  constexpr void check_fits() const {
    bool fits = false;
    switch (s_.type) {
      case OptionType::kFlag:
        fits = std::is_same_v<T, bool>;
        break;
      case OptionType::kInt:
      case OptionType::kFlagOrInt:
        fits = ((std::is_integral_v<T> && !std::is_same_v<T, bool>) ||
                requires { typename T::period; }) &&
               s_.min >= 0;
        break;
      case OptionType::kString:
        fits = std::is_same_v<T, std::string>;
        break;
      case OptionType::kList:
        fits = requires(T v) {
          v.push_back(v.front());
        };
        break;
    }
    if (!fits) throw "option row: its type or range does not fit the field it is bound to";
  }

  OptionSpec s_;
};

}  // namespace ferry::config::detail
