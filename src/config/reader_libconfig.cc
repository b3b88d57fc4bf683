// libconfig files: the same option names as settings at the top level, with structured values,
// e.g. `listening-port = 3478; fingerprint = true; user = ["a:b", "c:d"];`. Every scalar is turned
// into text and checked by the same code as the flat reader, so both formats accept and reject
// exactly the same values.
#include <libconfig.h++>

#include <filesystem>
#include <sstream>

#include "readers.h"

namespace ferry::config::detail {
namespace {

std::string where_of(const libconfig::Setting& s, const std::string& path) {
  const char* file = s.getSourceFile();
  return std::string(file != nullptr ? file : path) + ":" + std::to_string(s.getSourceLine());
}

// nullopt for groups, arrays and lists: they are not scalars.
std::optional<std::string> scalar_text(const libconfig::Setting& s) {
  switch (s.getType()) {
    // libconfig converts only to the exact C++ type of the setting.
    case libconfig::Setting::TypeInt:
      return std::to_string(static_cast<int>(s));
    case libconfig::Setting::TypeInt64:
      return std::to_string(static_cast<long long>(s));
    case libconfig::Setting::TypeFloat: {
      std::ostringstream out;
      out << static_cast<double>(s);
      return out.str();
    }
    case libconfig::Setting::TypeString:
      return std::string(static_cast<const char*>(s));
    case libconfig::Setting::TypeBoolean:
      return static_cast<bool>(s) ? "true" : "false";
    case libconfig::Setting::TypeNone:
    case libconfig::Setting::TypeGroup:
    case libconfig::Setting::TypeArray:
    case libconfig::Setting::TypeList:
      return std::nullopt;
  }
  return std::nullopt;
}

void read_setting(const libconfig::Setting& s, const std::string& path, Applier& applier) {
  const std::string where = where_of(s, path);
  const std::string name = s.getName() != nullptr ? s.getName() : "";
  const OptionSpec* spec = applier.lookup(name, where, "");
  if (spec == nullptr) return;
  if (auto text = scalar_text(s)) {
    applier.apply(*spec, *text, where, name);
    return;
  }
  if (s.getType() == libconfig::Setting::TypeGroup) {
    applier.error(where, "'" + name + "' expects " + expected_value(*spec) + ", got a group");
    return;
  }
  if (!spec->repeatable) {
    applier.error(where, "'" + name + "' takes one value (" + expected_value(*spec) +
                             "), got a list; only repeatable options take lists");
    return;
  }
  for (int i = 0; i < s.getLength(); ++i) {
    auto text = scalar_text(s[i]);
    if (!text) {
      applier.error(where, "'" + name + "' expects a list of single values, got a nested list");
      continue;
    }
    applier.apply(*spec, *text, where, name);
  }
}

}  // namespace

void read_libconfig(const std::string& path, Applier& applier) {
  applier.start_source(true);
  libconfig::Config file;
  auto dir = std::filesystem::path(path).parent_path().string();
  file.setIncludeDir(dir.empty() ? "." : dir.c_str());
  try {
    file.readFile(path.c_str());
  } catch (const libconfig::FileIOException&) {
    applier.error(path, "cannot read the configuration file");
    return;
  } catch (const libconfig::ParseException& e) {
    const char* where = e.getFile() != nullptr ? e.getFile() : path.c_str();
    applier.error(std::string(where) + ":" + std::to_string(e.getLine()),
                  std::string("libconfig syntax error: ") + e.getError());
    return;
  }
  const libconfig::Setting& root = file.getRoot();
  for (int i = 0; i < root.getLength(); ++i) read_setting(root[i], path, applier);
}

}  // namespace ferry::config::detail
