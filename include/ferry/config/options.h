// The option table: every option Ferry knows, declared once (DESIGN.md section 3). The command-line
// parser, both file readers, --help, the man pages and the reference configuration are all
// generated from these rows, so an option cannot exist in one place and be missing in another.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace ferry::config {

enum class OptionType {
  kFlag,       // bare name = true; name=yes/no/... in files, --name=yes/no on the command line
  kFlagOrInt,  // like coturn's stale-nonce[=N]: bare name = on with the default number
  kInt,        // decimal integer in [min, max]
  kString,     // one value, a later one replaces it
  kList,       // repeatable: every value is kept, in order
};

enum class Support {
  kImplemented,  // has an effect: the row's `apply` puts its value into the settings
  kAlways,       // asks for what Ferry always does (no-cli, no-tlsv1): accepted silently
  kNotYet,       // a coturn option Ferry will implement: accepted, warned about once, ignored
  kObsolete,     // an old coturn name whose effect is lost: accepted, warned about with note
};

struct OptionSpec;
// Building the settings (settings.h): the effective values, the settings being filled and the
// diagnostics, passed to every row's `apply`.
struct BuildContext;
using Apply = void (*)(const OptionSpec& spec, BuildContext& ctx);

struct OptionSpec {
  std::string_view name;     // coturn's long name, case-sensitive ("Verbose" != "verbose")
  std::string_view aliases;  // other accepted names, space-separated ("db" for "userdb")
  char short_flag = 0;       // coturn's one-letter flag, 0 if none
  OptionType type = OptionType::kFlag;
  // As text, for help and docs. Numeric for most integers; descriptive ("auto") where the value
  // is computed at start-up, in which case Config::integer() reads it as 0.
  std::string_view default_value;
  std::int64_t min = 0;
  std::int64_t max = 0;
  bool repeatable = false;
  bool command_line = false;  // selects what the process does (-c, --help): command line only
  bool secret = false;        // never echoed back (passwords, secrets, connection strings)
  Support support = Support::kNotYet;
  std::string_view section;     // listening, relay, auth, tls, protocol, logging, limits, ...
  std::string_view value_name;  // placeholder in help: PORT, FILE, NAME:PASSWORD
  std::string_view help;        // one line
  // kObsolete: what to use instead; kAlways: why there is nothing to turn on or off.
  std::string_view note;
  // kImplemented: writes the value into the settings field the row is bound to (option_builder.h
  // `to<&Struct::field>()`), so the option's name, default and field are declared in one row.
  Apply apply = nullptr;
  // The largest value the bound field can hold; the table's static_assert keeps `max` within it.
  std::int64_t field_max = 0;
};

// Every row, grouped by section in the order of section_names().
std::span<const OptionSpec> option_table();
// By long name or alias, exact and case-sensitive; nullptr if unknown.
const OptionSpec* find_option(std::string_view name_or_alias);
// By one-letter flag; nullptr if none.
const OptionSpec* find_short_option(char flag);
// The known name (or alias) nearest to a misspelt one, "" when none is close enough to suggest.
std::string_view nearest_option(std::string_view name);

// Options that select what the process does rather than how the server behaves (-c, -n, -h,
// --version, --check-config): meaningful only on the command line.
inline bool command_line_only(const OptionSpec& spec) {
  return spec.command_line;
}
// Values that must not be echoed back (passwords, secrets, database connection strings).
inline bool is_secret(const OptionSpec& spec) {
  return spec.secret;
}
bool takes_value(const OptionSpec& spec);  // kInt, kString, kList (kFlagOrInt: optionally)

// What a value must look like, for messages: "an integer 0..65535", "a flag (yes/no)".
std::string expected_value(const OptionSpec& spec);

struct SectionInfo {
  std::string_view name;
  std::string_view title;
};
std::span<const SectionInfo> section_names();

}  // namespace ferry::config
