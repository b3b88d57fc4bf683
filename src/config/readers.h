// The three readers (command line, coturn flat file, libconfig file) share one Applier, so
// checking, support warnings and duplicate handling are the same whichever way a value arrives.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/config/config.h"

namespace ferry::config::detail {

class Applier {
 public:
  Applier(Config& config, std::vector<Diagnostic>& diagnostics)
      : config_(config), diagnostics_(diagnostics) {}

  // Repeating a scalar inside one source is probably a mistake (warned); the command line
  // overriding the file is the point (silent). Each source starts afresh.
  void start_source(bool is_file);

  // nullptr (and an error naming the nearest known option) when the name is unknown. `prefix` is
  // how names are written in this source: "--" on the command line, "" in files.
  const OptionSpec* lookup(std::string_view name, const std::string& where,
                           std::string_view prefix);

  // Checks the value, reports support status, stores it. `value` is nullopt for a bare name.
  void apply(const OptionSpec& spec, std::optional<std::string_view> value,
             const std::string& where, std::string_view written);

  void error(const std::string& where, std::string message);
  void warning(const std::string& where, std::string message);

 private:
  void warn_once(const OptionSpec& spec, const std::string& where, std::string message);

  Config& config_;
  std::vector<Diagnostic>& diagnostics_;
  bool is_file_ = true;
  std::set<std::string_view> warned_;             // support warnings already given
  std::map<std::string_view, std::string> seen_;  // scalar -> where, in this source
};

// coturn's turnserver.conf syntax; `file` names the source in diagnostics.
void read_flat(std::string_view text, const std::string& file, Applier& applier);
// A libconfig file, by path (libconfig resolves @include relative to the file's directory).
void read_libconfig(const std::string& path, Applier& applier);

struct CommandLineItem {
  const OptionSpec* spec = nullptr;
  std::optional<std::string> value;
  std::string written;  // "--listening-port", "-p"
};
// Syntax errors (unknown options, missing values, stray words) are reported at once; values are
// applied later, after the configuration file, so the command line wins.
std::vector<CommandLineItem> parse_command_line(std::span<const std::string> args,
                                                Applier& applier);

}  // namespace ferry::config::detail
