// man/turnserver.conf.5: both file formats, precedence, diagnostics and every option.
#include "ferry/config/config.h"
#include "option_rows.h"
#include "render_util.h"
#include "roff.h"

namespace ferry::config {
namespace {

using detail::roff_escape;
using detail::roff_text;

std::string example(std::string_view lines) {
  return ".PP\n.nf\n.RS\n" + roff_escape(lines) + ".RE\n.fi\n";
}

std::string type_text(const OptionSpec& spec) {
  switch (spec.type) {
    case OptionType::kFlag:
      return "flag";
    case OptionType::kFlagOrInt:
      return "flag, or " + expected_value(spec).substr(std::string("a flag or ").size());
    case OptionType::kInt:
      return expected_value(spec);
    case OptionType::kString:
      return "string";
    case OptionType::kList:
      return "string, repeatable";
  }
  return "";
}

std::string option_item(const OptionSpec& spec) {
  std::string head = "\\fB" + roff_escape(spec.name) + "\\fR";
  if (spec.type != OptionType::kFlag) {
    head += spec.type == OptionType::kFlagOrInt ? "[=\\fI" : " = \\fI";
    head += roff_escape(detail::value_placeholder(spec)) + "\\fR";
    if (spec.type == OptionType::kFlagOrInt) head += "]";
  }
  std::string facts = type_text(spec);
  if (!spec.default_value.empty()) facts += "; default " + std::string(spec.default_value);
  if (spec.short_flag != 0) facts += std::string("; command line -") + spec.short_flag;
  if (!spec.aliases.empty()) facts += "; also spelt " + std::string(spec.aliases);
  if (command_line_only(spec)) facts += "; command line only";
  auto status = detail::status_note(spec);
  if (!status.empty()) facts += "; " + status;
  return ".TP\n" + head + "\n" + roff_text(detail::sentence(spec.help) + " (" + facts + ".)");
}

// The examples are written from the rows, so that they stay valid when an option changes.
std::string flat_example() {
  using namespace detail;  // NOLINT: the named rows
  auto n = [](const OptionSpec& spec) { return std::string(spec.name); };
  return "# coturn syntax\n" + n(kListeningPort) + "=3478\n" + n(kRealm) + " = example.org\n" +
         n(kUser) + "=alice:secret\n" + n(kUser) + "=bob:0x3cbd2ab0a2e1c2d9e8a4c1e6bd0e38f3\n" +
         n(kFingerprint) + "\n" + n(kStaleNonce) + "=600\n";
}

std::string libconfig_example() {
  using namespace detail;  // NOLINT: the named rows
  auto n = [](const OptionSpec& spec) { return std::string(spec.name); };
  return "# libconfig syntax (turnserver.cfg)\n" + n(kListeningPort) + " = 3478;\n" + n(kRealm) +
         " = \"example.org\";\n" + n(kUser) + " = [\"alice:secret\", \"bob:secret2\"];\n" +
         n(kFingerprint) + " = true;\n" + n(kStaleNonce) + " = 600;\n";
}

std::string formats() {
  return ".SH FORMATS\n" +
         roff_text(
             "The format follows the file name: a name ending in .cfg or .libconfig is "
             "read as a libconfig file; any other name is read as coturn's flat format. "
             "Both use the option names listed below, which are the long command-line "
             "names without the leading dashes. Names are case-sensitive: Verbose and "
             "verbose are different options.") +
         ".SS Flat format (coturn's turnserver.conf)\n" +
         roff_text(
             "One option per line: name=value, name value, or a bare name, which sets a "
             "flag. Blanks and '=' between name and value are interchangeable. A line "
             "whose first non-blank character is # is a comment; a # anywhere else is part "
             "of the value. Blank lines are ignored. One pair of double quotes around a "
             "value is removed. Flags accept 1, y, yes, t, true, on (or any non-zero "
             "number) and 0, n, no, f, false, off, in any case. Repeatable options are "
             "given once per value.") +
         example(flat_example()) + ".SS libconfig format\n" +
         roff_text(
             "Top-level settings named like the options, each ending in ';'. Flags take "
             "true or false, numbers are written bare, strings in double quotes, and a "
             "repeatable option takes one value or a list in brackets. Groups are not "
             "used. @include works relative to the file's directory.") +
         example(libconfig_example());
}

std::string rules() {
  return ".SH PRECEDENCE\n" +
         roff_text(
             "The file is read first, then the command line. A value on the command line "
             "replaces the file's value; a repeatable option given on the command line is "
             "added after the file's values. Within one file, a non-repeatable option "
             "given twice draws a warning and the last value wins.") +
         ".SH DIAGNOSTICS\n" +
         roff_text(
             "Every message names its origin as file:line, or 'command line'. Errors stop "
             "the server from starting: an unknown option (with the nearest known name "
             "suggested), a value of the wrong type or out of range, a flag given a "
             "value that is not a boolean. Warnings do not: an option Ferry does not "
             "support yet (once per option), an obsolete coturn option (with what "
             "replaced it), a repeated option, a line ending in ';' in a flat file. "
             "turnserver --" +
             std::string(detail::kCheckConfig.name) +
             " -c FILE reports them all and prints the effective settings.");
}

}  // namespace

std::string render_man5() {
  std::string out =
      ".\\\" Generated by ferry_docgen from the option table; do not edit.\n"
      ".TH TURNSERVER.CONF 5 \"\" \"Ferry\" \"File Formats\"\n.nh\n"
      ".SH NAME\n"
      "turnserver.conf \\- configuration file of the Ferry STUN/TURN server\n"
      ".SH DESCRIPTION\n" +
      roff_text(
          "turnserver(8) reads its settings from this file and then from its command "
          "line. Files written for coturn 4.6 work unchanged. Without -c, the first "
          "existing file of " +
          detail::default_paths_text() + " is read.") +
      formats() + rules() + ".SH OPTIONS\n";
  for (const auto& section : section_names()) {
    out += ".SS " + roff_escape(section.title) + "\n";
    for (const auto* spec : detail::live_options(section.name)) out += option_item(*spec);
  }
  out += ".SS Obsolete coturn options\n";
  for (const auto* spec : detail::obsolete_options()) out += option_item(*spec);
  return out + ".SH SEE ALSO\n.BR turnserver (8)\n";
}

}  // namespace ferry::config
