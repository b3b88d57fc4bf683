// Configuration-shaped renderings: the commented reference file, the --check-config listing
// (itself valid flat syntax, secrets hidden) and the option list for docs/CONFIGURATION.md.
#include "ferry/config/config.h"
#include "option_rows.h"
#include "render_util.h"
#include "text_util.h"

namespace ferry::config {
namespace {

constexpr std::size_t kCommentColumn = 40;
constexpr std::size_t kWrapWidth = 79;

// "# " comment lines, wrapped at word boundaries so the reference reads well in any editor.
std::string comment(std::string_view text) {
  std::string out;
  std::string line = "#";
  detail::for_each_word(text, [&](std::string_view word) {
    if (line.size() + 1 + word.size() > kWrapWidth && line != "#") {
      out += line + "\n";
      line = "#";
    }
    line += " " + std::string(word);
  });
  return out + line + "\n";
}

// The commented-out setting line of the reference file: the default where it is a usable value,
// the placeholder otherwise.
std::string reference_setting(const OptionSpec& spec) {
  const std::string name(spec.name);
  const std::string def(spec.default_value);
  switch (spec.type) {
    case OptionType::kFlag:
      return "#" + name + "\n";
    case OptionType::kFlagOrInt:
      return "#" + name + "=" + def + "\n";
    case OptionType::kInt:
      return "#" + name + "=" +
             (detail::parse_decimal(def) ? def : detail::value_placeholder(spec)) + "\n";
    case OptionType::kString:
    case OptionType::kList:
      break;
  }
  return "#" + name + "=" + (def.empty() ? detail::value_placeholder(spec) : def) + "\n";
}

std::string reference_entry(const OptionSpec& spec) {
  std::string text = detail::sentence(spec.help);
  if (!spec.default_value.empty() && spec.type != OptionType::kFlag) {
    text += " Default: " + std::string(spec.default_value) + ".";
  }
  if (spec.short_flag != 0 && !command_line_only(spec)) {
    text += std::string(" Command line: -") + spec.short_flag + ".";
  }
  if (spec.support == Support::kNotYet) text += " Not supported yet.";
  if (spec.support == Support::kAlways)
    text += " Always so in Ferry: " + std::string(spec.note) + ".";
  if (spec.support == Support::kObsolete) {
    text = "Obsolete coturn option, ignored: " + std::string(spec.note) + ".";
  }
  if (command_line_only(spec)) {
    text += " Command line only: " + std::string(detail::trim(detail::command_line_form(spec)));
    return comment(text) + "\n";
  }
  return comment(text) + reference_setting(spec) + "\n";
}

std::string section_banner(std::string_view title) {
  const std::string rule = "# " + std::string(70, '-') + "\n";
  return rule + "# " + std::string(title) + "\n" + rule + "\n";
}

std::string shown_value(const OptionSpec& spec, const std::string& value) {
  if (!is_secret(spec)) return value;
  // For accounts the name is useful when checking a configuration; the password never is.
  auto colon = value.find(':');
  if (spec.name == detail::kUser.name && colon != std::string::npos)
    return value.substr(0, colon) + ":(hidden)";
  return "(hidden)";
}

std::string effective_line(const OptionSpec& spec, const std::string& value,
                           const std::string& where) {
  std::string line;
  if (spec.type == OptionType::kFlag) {
    line = value == "true" ? std::string(spec.name) : std::string(spec.name) + "=false";
  } else {
    line = std::string(spec.name) + "=" + shown_value(spec, value);
  }
  line += line.size() + 1 < kCommentColumn ? std::string(kCommentColumn - line.size(), ' ') : " ";
  return line + "# " + where + "\n";
}

std::string markdown_cell(std::string text) {
  for (std::size_t i = 0; (i = text.find('|', i)) != std::string::npos; i += 2)
    text.insert(i, "\\");
  return text;
}

std::string markdown_row(const OptionSpec& spec) {
  std::string letter = spec.short_flag != 0 ? std::string("`-") + spec.short_flag + "`" : "";
  std::string value = spec.type == OptionType::kFlag ? "" : detail::value_placeholder(spec);
  std::string def = spec.default_value.empty() ? "" : "`" + std::string(spec.default_value) + "`";
  std::string status = spec.support == Support::kImplemented ? "yes"
                       : spec.support == Support::kAlways    ? "always"
                       : spec.support == Support::kNotYet    ? "not yet"
                                                             : "obsolete";
  std::string help(spec.support == Support::kObsolete ? spec.note : spec.help);
  if (spec.support == Support::kAlways) help += "; always so: " + std::string(spec.note);
  if (spec.repeatable) help += " (repeatable)";
  std::string name = "`" + std::string(spec.name) + "`";
  detail::for_each_word(spec.aliases,
                        [&](std::string_view a) { name += ", `" + std::string(a) + "`"; });
  return "| " + name + " | " + letter + " | " + markdown_cell(value) + " | " + markdown_cell(def) +
         " | " + status + " | " + markdown_cell(help) + " |\n";
}

}  // namespace

std::string render_reference_conf() {
  std::string out =
      "# Ferry turnserver.conf reference: every option, commented out, with its default.\n"
      "# Generated by ferry_docgen from the option table; do not edit. Copy what you need into\n"
      "# turnserver.conf (etc/turnserver.conf is a small ready-to-run start).\n"
      "#\n"
      "# Syntax (coturn's): name=value, name value, or a bare name to set a flag. '#' starts a\n"
      "# comment only at the start of a line. Repeatable options are given once per value.\n"
      "# Flags accept yes/no, true/false, on/off, 1/0. A file named *.cfg or *.libconfig is\n"
      "# read as libconfig instead; see turnserver.conf(5).\n\n";
  for (const auto& section : section_names()) {
    out += section_banner(section.title);
    for (const auto* spec : detail::live_options(section.name)) out += reference_entry(*spec);
  }
  out += section_banner("Obsolete coturn options (accepted with a warning, no effect)");
  for (const auto* spec : detail::obsolete_options()) out += reference_entry(*spec);
  return out;
}

std::string render_effective(const Config& config) {
  std::string out =
      "# Effective settings: the options that are set and where; all others have "
      "their defaults.\n";
  for (const auto* spec : config.set_options()) {
    if (command_line_only(*spec)) continue;  // how the process was started, not a setting
    auto values = config.list(spec->name);
    for (std::size_t i = 0; i < values.size(); ++i) {
      out += effective_line(*spec, values[i], config.where(spec->name, i));
    }
  }
  return out;
}

std::string render_options_markdown() {
  std::string out;
  for (const auto& section : section_names()) {
    out += "\n### " + std::string(section.title) + "\n\n";
    out += "| Option | Letter | Value | Default | Implemented | Description |\n";
    out += "|---|---|---|---|---|---|\n";
    for (const auto* spec : detail::live_options(section.name)) out += markdown_row(*spec);
  }
  out += "\n### Obsolete coturn options\n\n";
  out += "| Option | Letter | Value | Default | Implemented | Why it is not needed |\n";
  out += "|---|---|---|---|---|---|\n";
  for (const auto* spec : detail::obsolete_options()) out += markdown_row(*spec);
  return out;
}

}  // namespace ferry::config
