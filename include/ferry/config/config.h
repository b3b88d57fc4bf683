// Loading the configuration: the command line, coturn's flat turnserver.conf and libconfig files,
// all driven by the option table (options.h). Problems become diagnostics that name the file and
// line (or "command line"), never exceptions; only a programming error (asking for an option the
// table does not have) throws.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/config/options.h"

namespace ferry::config {

struct Diagnostic {
  enum class Severity { kError, kWarning } severity = Severity::kError;
  std::string where;  // "file:line" or "command line"
  std::string message;
  std::string to_string() const;  // "where: error: message"
};

// The effective values after all readers ran. Accessors take a long name or an alias; a name the
// table does not know, or an accessor that does not fit the option's type, throws
// std::logic_error (a bug in the caller, not a configuration problem).
class Config {
 public:
  bool is_set(std::string_view name) const;
  bool flag(std::string_view name) const;             // kFlag/kFlagOrInt: set and true (non-zero)
  std::int64_t integer(std::string_view name) const;  // kInt/kFlagOrInt: value or the default
  std::string string(std::string_view name) const;    // the value (last one) or the default
  std::vector<std::string> list(std::string_view name) const;  // all values in order
  std::string where(std::string_view name) const;  // origin of the (last) value, or "default"
  std::string where(std::string_view name, std::size_t index) const;  // origin of list value #i

  // Setters used by the readers. Values arrive validated and normalised: flags "true"/"false",
  // integers in decimal.
  void set(std::string_view name, std::string value, std::string where);     // replaces
  void append(std::string_view name, std::string value, std::string where);  // adds one more
  void unset(std::string_view name);

  // The options that are set, in table order.
  std::vector<const OptionSpec*> set_options() const;

 private:
  struct Value {
    std::string text;
    std::string where;
  };
  const std::vector<Value>* values(std::string_view name) const;

  // Keyed by OptionSpec::name, which points into the static table.
  std::map<std::string_view, std::vector<Value>> values_;
};

enum class Action { kRun, kHelp, kVersion, kCheckConfig };

struct LoadOutcome {
  Config config;
  std::vector<Diagnostic> diagnostics;
  Action action = Action::kRun;
  std::string config_file;  // the file that was read, "" if none
  bool ok() const;          // no kError diagnostic
};

// argv without argv[0]. Reads the configuration file (-c FILE, or the first of the default
// locations unless -n), then applies the command line: scalars replace file values, list values
// are appended. With -h/--help or --version no file is read.
LoadOutcome load(std::span<const std::string> args);
// One file, nothing else: no search, no command line.
LoadOutcome load_file_only(const std::string& path);

// Where load() looks when no -c is given, in order.
std::span<const std::string_view> default_config_paths();
// A name ending in .cfg or .libconfig is read as libconfig; anything else as coturn's flat syntax.
bool is_libconfig_file(std::string_view path);

// Generated documentation (the man pages and reference file are committed; a test keeps them
// current; regenerate with ferry_docgen).
std::string render_help();                           // --help, grouped by section
std::string render_man8();                           // man/turnserver.8
std::string render_man5();                           // man/turnserver.conf.5
std::string render_reference_conf();                 // etc/turnserver.conf.reference
std::string render_options_markdown();               // the option list in docs/CONFIGURATION.md
std::string render_effective(const Config& config);  // --check-config: set options and origins

}  // namespace ferry::config
