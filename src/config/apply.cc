#include "readers.h"
#include "values.h"

namespace ferry::config::detail {

void Applier::start_source(bool is_file) {
  is_file_ = is_file;
  seen_.clear();
}

void Applier::error(const std::string& where, std::string message) {
  diagnostics_.push_back({Diagnostic::Severity::kError, where, std::move(message)});
}

void Applier::warning(const std::string& where, std::string message) {
  diagnostics_.push_back({Diagnostic::Severity::kWarning, where, std::move(message)});
}

void Applier::warn_once(const OptionSpec& spec, const std::string& where, std::string message) {
  if (warned_.insert(spec.name).second) warning(where, std::move(message));
}

const OptionSpec* Applier::lookup(std::string_view name, const std::string& where,
                                  std::string_view prefix) {
  if (const OptionSpec* spec = find_option(name)) return spec;
  std::string message = "unknown option '" + std::string(prefix) + std::string(name) + "'";
  auto nearest = nearest_option(name);
  if (!nearest.empty()) {
    message += "; did you mean '" + std::string(prefix) + std::string(nearest) + "'?";
  }
  error(where, std::move(message));
  return nullptr;
}

void Applier::apply(const OptionSpec& spec, std::optional<std::string_view> value,
                    const std::string& where, std::string_view written) {
  const std::string name(written);
  if (is_file_ && command_line_only(spec)) {
    warning(where, "'" + name + "' only has a meaning on the command line; ignored here");
    return;
  }
  auto checked = check_value(spec, value, written);
  if (!checked.ok) {
    error(where, std::move(checked.error));
    return;
  }
  switch (spec.support) {
    case Support::kObsolete:
      warn_once(spec, where,
                "option '" + name + "' is obsolete and ignored: " + std::string(spec.note));
      return;
    case Support::kAlways:
      // Asks for what Ferry does anyway: nothing is lost, so nothing to say (a coturn config
      // starts with warnings only for what it actually loses).
      break;
    case Support::kNotYet:
      // Kept in the Config anyway, so flipping the row to kImplemented is all a feature needs.
      warn_once(spec, where, "option '" + name + "' is not supported yet and is ignored");
      break;
    case Support::kImplemented:
      break;
  }
  if (spec.repeatable) {
    config_.append(spec.name, std::move(checked.value), where);
    return;
  }
  auto [first, inserted] = seen_.try_emplace(spec.name, where);
  if (!inserted) {
    warning(where,
            "'" + name + "' is set again (first at " + first->second + "); the last value wins");
  }
  config_.set(spec.name, std::move(checked.value), where);
}

}  // namespace ferry::config::detail
