// coturn's turnserver.conf syntax, as coturn 4.6 reads it:
//   - a line whose first non-blank character is '#' is a comment ('#' elsewhere is data);
//   - the name ends at the first blank or '='; any run of blanks and '=' after it separates the
//     value, so `name=value`, `name value` and `name = value` are the same;
//   - a bare name is a flag set to true;
//   - one pair of double quotes around the value is removed.
// The extra warnings (trailing ';', '#' inside a value, unbalanced quote) catch the mistakes that
// coturn silently turns into odd values.
#include "readers.h"
#include "text_util.h"

namespace ferry::config::detail {
namespace {

constexpr std::string_view kSeparators = " \t=";
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

std::string_view unquote(std::string_view value, const std::string& where, Applier& applier) {
  if (value.empty() || value.front() != '"') return value;
  if (value.size() >= 2 && value.back() == '"') return value.substr(1, value.size() - 2);
  applier.warning(where, "value starts with '\"' but does not end with one; the '\"' is dropped");
  return value.substr(1);
}

void warn_about_suspicious(std::string_view line, std::string_view value, const OptionSpec& spec,
                           const std::string& where, Applier& applier) {
  if (line.back() == ';') {
    applier.warning(where,
                    "line ends with ';', which becomes part of the value in this flat format "
                    "(libconfig files need a name ending in .cfg or .libconfig)");
  }
  bool text = spec.type == OptionType::kString || spec.type == OptionType::kList;
  auto hash = value.find('#');
  if (text && hash != std::string_view::npos && hash > 0 && is_blank(value[hash - 1])) {
    applier.warning(where, "'#' starts a comment only at the start of a line, so the value of '" +
                               std::string(spec.name) + "' is '" + std::string(value) + "'");
  }
}

void read_line(std::string_view line, const std::string& where, Applier& applier) {
  line = trim(line);
  if (line.empty() || line.front() == '#') return;
  auto end_of_name = line.find_first_of(kSeparators);
  auto name = line.substr(0, end_of_name);
  std::optional<std::string_view> value;
  if (end_of_name != std::string_view::npos) {
    auto rest = line.substr(end_of_name);
    auto start = rest.find_first_not_of(kSeparators);
    value = start == std::string_view::npos ? std::string_view() : rest.substr(start);
  }
  if (name.empty()) {
    applier.error(where, "line has a value but no option name: '" + std::string(line) + "'");
    return;
  }
  const OptionSpec* spec = applier.lookup(name, where, "");
  if (spec == nullptr) return;
  if (value) {
    warn_about_suspicious(line, *value, *spec, where, applier);
    value = unquote(*value, where, applier);
  }
  applier.apply(*spec, value, where, name);
}

}  // namespace

void read_flat(std::string_view text, const std::string& file, Applier& applier) {
  applier.start_source(true);
  if (text.substr(0, kUtf8Bom.size()) == kUtf8Bom) text.remove_prefix(kUtf8Bom.size());
  std::size_t line_number = 0;
  while (!text.empty()) {
    auto newline = text.find('\n');
    auto line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    ++line_number;
    read_line(line, file + ":" + std::to_string(line_number), applier);
  }
}

}  // namespace ferry::config::detail
