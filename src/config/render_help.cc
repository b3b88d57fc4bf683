// --help, generated from the option table and grouped by section.
#include "ferry/config/config.h"
#include "render_util.h"
#include "text_util.h"

namespace ferry::config {
namespace {

constexpr std::size_t kHelpColumn = 40;
constexpr std::size_t kHelpWidth = 100;

// The description column, wrapped at word boundaries so --help fits a 100-column terminal.
std::string wrap(std::string_view text) {
  std::string out;
  std::string line;
  detail::for_each_word(text, [&](std::string_view word) {
    if (!line.empty() && kHelpColumn + line.size() + 1 + word.size() > kHelpWidth) {
      out += line + "\n" + std::string(kHelpColumn, ' ');
      line.clear();
    }
    line += (line.empty() ? "" : " ") + std::string(word);
  });
  return out + line + "\n";
}

std::string help_line(const OptionSpec& spec) {
  std::string left = "  " + detail::command_line_form(spec);
  std::string right(spec.help);
  if (!spec.default_value.empty() && spec.type != OptionType::kFlag) {
    right += " [" + std::string(spec.default_value) + "]";
  }
  if (spec.repeatable) right += " (repeatable)";
  if (spec.support == Support::kNotYet) right += " (not yet)";
  if (spec.support == Support::kAlways) right += " (always so)";
  if (spec.support == Support::kObsolete) right = std::string(spec.note);
  // A long option name gets its description on the next line.
  const std::size_t used = left.size() + 2 > kHelpColumn ? 0 : left.size();
  if (used == 0) left += "\n";
  return left + std::string(kHelpColumn - used, ' ') + wrap(right);
}

}  // namespace

std::string render_help() {
  std::string out =
      "Usage: turnserver [-c FILE | -n] [OPTION]...\n"
      "Ferry STUN/TURN server. Option names, letters and configuration files follow coturn's\n"
      "turnserver, so an existing coturn setup runs unchanged.\n"
      "\n"
      "The configuration file is read first: -c FILE, or else the first that exists of\n  " +
      detail::default_paths_text() +
      ".\n"
      "Then the command line: a value given here replaces the file's; a repeatable option adds\n"
      "to the file's values. A file named *.cfg or *.libconfig is read as libconfig, any other\n"
      "as coturn's `name=value` lines. In a file, write an option without its dashes.\n"
      "[x]: default. (not yet): accepted with a warning and ignored for now.\n"
      "See turnserver(8) and turnserver.conf(5).\n";
  for (const auto& section : section_names()) {
    out += "\n" + std::string(section.title) + ":\n";
    for (const auto* spec : detail::live_options(section.name)) out += help_line(*spec);
  }
  out += "\nObsolete coturn options (accepted with a warning, no effect):\n";
  for (const auto* spec : detail::obsolete_options()) out += help_line(*spec);
  return out;
}

}  // namespace ferry::config
