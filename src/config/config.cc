// The effective option values. Values are stored as validated text; the accessors convert, and
// fall back to the table's default, so a reader never has to know about defaults.
#include <stdexcept>

#include "ferry/config/config.h"
#include "text_util.h"

namespace ferry::config {
namespace {

const OptionSpec& spec_of(std::string_view name) {
  const OptionSpec* spec = find_option(name);
  if (spec == nullptr) {
    throw std::logic_error("ferry::config: no option named '" + std::string(name) + "'");
  }
  return *spec;
}

void require(bool ok, const OptionSpec& spec, const char* accessor) {
  if (!ok) {
    throw std::logic_error(std::string("ferry::config: ") + accessor + "() does not fit option '" +
                           std::string(spec.name) + "'");
  }
}

}  // namespace

std::string Diagnostic::to_string() const {
  return where + (severity == Severity::kError ? ": error: " : ": warning: ") + message;
}

bool LoadOutcome::ok() const {
  for (const auto& d : diagnostics) {
    if (d.severity == Diagnostic::Severity::kError) return false;
  }
  return true;
}

const std::vector<Config::Value>* Config::values(std::string_view name) const {
  auto it = values_.find(spec_of(name).name);
  return it == values_.end() || it->second.empty() ? nullptr : &it->second;
}

bool Config::is_set(std::string_view name) const {
  return values(name) != nullptr;
}

bool Config::flag(std::string_view name) const {
  const auto& spec = spec_of(name);
  if (spec.type == OptionType::kFlagOrInt) return is_set(name) && integer(name) != 0;
  require(spec.type == OptionType::kFlag, spec, "flag");
  const auto* v = values(name);
  return v != nullptr && v->back().text == "true";
}

std::int64_t Config::integer(std::string_view name) const {
  const auto& spec = spec_of(name);
  require(spec.type == OptionType::kInt || spec.type == OptionType::kFlagOrInt, spec, "integer");
  const auto* v = values(name);
  auto parsed = detail::parse_decimal(v != nullptr ? v->back().text : spec.default_value);
  // A descriptive default ("auto", "listening-port+1") reads as 0: callers check is_set().
  return parsed.value_or(0);
}

std::string Config::string(std::string_view name) const {
  const auto& spec = spec_of(name);
  const auto* v = values(name);
  return v != nullptr ? v->back().text : std::string(spec.default_value);
}

std::vector<std::string> Config::list(std::string_view name) const {
  std::vector<std::string> out;
  if (const auto* v = values(name)) {
    for (const auto& value : *v) out.push_back(value.text);
  }
  return out;
}

std::string Config::where(std::string_view name) const {
  const auto* v = values(name);
  return v != nullptr ? v->back().where : "default";
}

std::string Config::where(std::string_view name, std::size_t index) const {
  const auto* v = values(name);
  return v != nullptr && index < v->size() ? (*v)[index].where : "default";
}

void Config::set(std::string_view name, std::string value, std::string where) {
  auto& slot = values_[spec_of(name).name];
  slot.clear();
  slot.push_back({std::move(value), std::move(where)});
}

void Config::append(std::string_view name, std::string value, std::string where) {
  values_[spec_of(name).name].push_back({std::move(value), std::move(where)});
}

void Config::unset(std::string_view name) {
  values_.erase(spec_of(name).name);
}

std::vector<const OptionSpec*> Config::set_options() const {
  std::vector<const OptionSpec*> out;
  for (const auto& spec : option_table()) {
    auto it = values_.find(spec.name);
    if (it != values_.end() && !it->second.empty()) out.push_back(&spec);
  }
  return out;
}

}  // namespace ferry::config
