#include "render_util.h"

#include "ferry/config/config.h"

namespace ferry::config::detail {

std::string value_placeholder(const OptionSpec& spec) {
  if (!spec.value_name.empty()) return std::string(spec.value_name);
  return spec.type == OptionType::kInt || spec.type == OptionType::kFlagOrInt ? "N" : "VALUE";
}

std::string command_line_form(const OptionSpec& spec) {
  std::string out = spec.short_flag != 0 ? std::string("-") + spec.short_flag + ", " : "    ";
  out += "--" + std::string(spec.name);
  switch (spec.type) {
    case OptionType::kFlag:
      break;
    case OptionType::kFlagOrInt:
      out += "[=" + value_placeholder(spec) + "]";
      break;
    case OptionType::kInt:
    case OptionType::kString:
    case OptionType::kList:
      out += " " + value_placeholder(spec);
      break;
  }
  return out;
}

std::string status_note(const OptionSpec& spec) {
  switch (spec.support) {
    case Support::kImplemented:
      return "";
    case Support::kAlways:
      return "always so: " + std::string(spec.note);
    case Support::kNotYet:
      return "not supported yet";
    case Support::kObsolete:
      return "obsolete: " + std::string(spec.note);
  }
  return "";
}

std::vector<const OptionSpec*> live_options(std::string_view section) {
  std::vector<const OptionSpec*> out;
  for (const auto& spec : option_table()) {
    if (spec.section == section && spec.support != Support::kObsolete) out.push_back(&spec);
  }
  return out;
}

std::vector<const OptionSpec*> obsolete_options() {
  std::vector<const OptionSpec*> out;
  for (const auto& spec : option_table()) {
    if (spec.support == Support::kObsolete) out.push_back(&spec);
  }
  return out;
}

std::string sentence(std::string_view text) {
  std::string out(text);
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z')
    out[0] = static_cast<char>(out[0] - 'a' + 'A');
  if (!out.empty() && out.back() != '.') out += '.';
  return out;
}

std::string default_paths_text() {
  std::string out;
  for (auto p : default_config_paths()) out += (out.empty() ? "" : ", ") + std::string(p);
  return out;
}

}  // namespace ferry::config::detail
