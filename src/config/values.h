// Checking and normalising one option value, the same way for every reader.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ferry/config/options.h"

namespace ferry::config::detail {

// 'name', as messages quote option names and values.
std::string quoted(std::string_view s);

// coturn's spellings: 0/n/no/f/false/off and y/yes/t/true/on/any other number, any case.
std::optional<bool> parse_bool(std::string_view text);

struct Checked {
  bool ok = false;
  std::string value;  // normalised: flags "true"/"false", integers in decimal
  std::string error;  // when !ok: what was expected and what was given
};

// `value` is nullopt for a bare name (`fingerprint`, `--fingerprint`). `written` is the name as
// the operator wrote it (an alias, or with "--"), so the message quotes their own text.
Checked check_value(const OptionSpec& spec, std::optional<std::string_view> value,
                    std::string_view written);

}  // namespace ferry::config::detail
