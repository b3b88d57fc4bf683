// The load order: command-line syntax first (to learn -c, -n, -h), then the configuration file,
// then the command-line values on top (scalars replace, lists append), like coturn.
#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "option_rows.h"
#include "readers.h"

namespace ferry::config {
namespace {

using namespace detail;  // NOLINT: the named rows (kHelp, kConfigFile, ...)
using detail::Applier;
using detail::CommandLineItem;

constexpr std::array<std::string_view, 4> kDefaultPaths = {
    "./turnserver.conf", "etc/turnserver.conf", "/etc/turnserver.conf",
    "/etc/coturn/turnserver.conf"};

bool file_exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

// `-c name` without a directory is also looked up where coturn would look for turnserver.conf.
std::string resolve_explicit(const std::string& path) {
  if (file_exists(path) || path.find('/') != std::string::npos) return path;
  for (auto dir : {"etc/", "/etc/", "/etc/coturn/"}) {
    if (file_exists(dir + path)) return dir + path;
  }
  return path;
}

void read_file(const std::string& path, Applier& applier) {
  if (!file_exists(path)) {
    applier.error(path, "cannot open the configuration file: no such file");
    return;
  }
  if (is_libconfig_file(path)) {
    detail::read_libconfig(path, applier);
    return;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    applier.error(path, "cannot open the configuration file");
    return;
  }
  std::ostringstream text;
  text << in.rdbuf();
  detail::read_flat(text.str(), path, applier);
}

Action action_of(const std::vector<CommandLineItem>& items) {
  bool help = false, version = false, check = false;
  for (const auto& item : items) {
    help = help || item.spec->name == kHelp.name;
    version = version || item.spec->name == kVersion.name;
    check = check || item.spec->name == kCheckConfig.name;
  }
  return help      ? Action::kHelp
         : version ? Action::kVersion
         : check   ? Action::kCheckConfig
                   : Action::kRun;
}

// "" when no file is to be read (-n, or nothing found in the default places).
std::string choose_file(const std::vector<CommandLineItem>& items, Applier& applier) {
  std::optional<std::string> explicit_path;
  for (const auto& item : items) {
    if (item.spec->name == kNoConfig.name) return "";
    if (item.spec->name == kConfigFile.name && item.value) explicit_path = *item.value;
  }
  if (explicit_path) return resolve_explicit(*explicit_path);
  for (auto candidate : kDefaultPaths) {
    if (file_exists(std::string(candidate))) return std::string(candidate);
  }
  applier.warning("command line",
                  "no configuration file found in the default places (see --" +
                      std::string(kHelp.name) +
                      "); using the command line and defaults (-n skips the search)");
  return "";
}

}  // namespace

std::span<const std::string_view> default_config_paths() {
  return kDefaultPaths;
}

bool is_libconfig_file(std::string_view path) {
  auto ends_with = [&](std::string_view suffix) {
    return path.size() > suffix.size() && path.substr(path.size() - suffix.size()) == suffix;
  };
  return ends_with(".cfg") || ends_with(".libconfig");
}

LoadOutcome load(std::span<const std::string> args) {
  LoadOutcome out;
  Applier applier(out.config, out.diagnostics);
  applier.start_source(false);
  auto items = detail::parse_command_line(args, applier);
  out.action = action_of(items);
  // Like coturn, -h and --version answer at once: a broken configuration must not hide them.
  if (out.action == Action::kHelp || out.action == Action::kVersion) return out;
  out.config_file = choose_file(items, applier);
  if (!out.config_file.empty()) read_file(out.config_file, applier);
  applier.start_source(false);
  for (const auto& item : items) {
    std::optional<std::string_view> value;
    if (item.value) value = *item.value;
    applier.apply(*item.spec, value, "command line", item.written);
  }
  return out;
}

LoadOutcome load_file_only(const std::string& path) {
  LoadOutcome out;
  Applier applier(out.config, out.diagnostics);
  out.config_file = path;
  read_file(path, applier);
  return out;
}

}  // namespace ferry::config
