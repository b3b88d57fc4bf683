// The one option table, assembled at compile time from the per-section rows, and the lookups over
// it. static_asserts catch table mistakes (duplicate names or letters, a default outside its
// range) when the library is built rather than when an operator meets them.
#include <algorithm>
#include <array>
#include <iterator>

#include "option_rows.h"
#include "text_util.h"

namespace ferry::config {
namespace {

template <std::size_t... N>
constexpr auto concat(const OptionSpec (&... parts)[N]) {
  std::array<OptionSpec, (N + ...)> out{};
  auto it = out.begin();
  ((it = std::copy(std::begin(parts), std::end(parts), it)), ...);
  return out;
}

using namespace detail;  // NOLINT: the row arrays and section names

// The order of sections here is the order of --help and the man pages.
constexpr auto kTable = concat(kListeningOptions, kRelayOptions, kAuthOptions, kTlsOptions,
                               kProtocolOptions, kLoggingOptions, kLimitsOptions, kPeersOptions,
                               kWebOptions, kAdminOptions, kMiscOptions);

constexpr SectionInfo kSections[] = {
    {kListening, "Listening"},
    {kRelay, "Relay"},
    {kAuth, "Authentication"},
    {kTls, "TLS and DTLS"},
    {kProtocol, "STUN and TURN protocol"},
    {kLogging, "Logging"},
    {kLimits, "Limits and lifetimes"},
    {kPeers, "Peer access"},
    {kWeb, "HTTP listener and metrics"},
    {kAdmin, "Administration (coturn's CLI and web admin)"},
    {kMisc, "Process"},
};

constexpr bool valid_name(std::string_view n) {
  // libconfig setting names are [A-Za-z*][-A-Za-z0-9_*]*: every option must be writable there.
  if (n.empty() || !is_alpha(n[0])) return false;
  return std::all_of(n.begin(), n.end(),
                     [](char c) { return is_alpha(c) || is_digit(c) || c == '-' || c == '_'; });
}

constexpr bool takes_integer(const OptionSpec& o) {
  return o.type == OptionType::kInt || o.type == OptionType::kFlagOrInt;
}

constexpr bool row_is_valid(const OptionSpec& o) {
  if (!valid_name(o.name) || o.help.empty() || o.section.empty()) return false;
  const bool has_note = o.support == Support::kObsolete || o.support == Support::kAlways;
  if (has_note != !o.note.empty()) return false;
  // Implemented means bound: a field the value goes to, or an action of the loader.
  if (o.support == Support::kImplemented && (o.apply == nullptr) == !o.command_line) return false;
  if (o.support != Support::kImplemented && o.apply != nullptr) return false;
  // A bound field must hold every value the row accepts (a uint16_t port and max 65535).
  if (o.apply != nullptr && takes_integer(o) && o.max > o.field_max) return false;
  if (o.repeatable != (o.type == OptionType::kList)) return false;
  if (o.type == OptionType::kInt || o.type == OptionType::kFlagOrInt) {
    if (o.min > o.max) return false;
    auto d = parse_decimal(o.default_value);
    if (d && (*d < o.min || *d > o.max)) return false;
  }
  if (o.type == OptionType::kFlagOrInt && !parse_decimal(o.default_value)) return false;
  bool section_known = false;
  for (const auto& s : kSections) section_known = section_known || s.name == o.section;
  return section_known;
}

constexpr bool table_is_valid() {
  std::array<std::string_view, 2 * kTable.size()> names{};
  std::size_t count = 0;
  for (const auto& o : kTable) {
    if (!row_is_valid(o)) return false;
    names[count++] = o.name;
    for_each_word(o.aliases, [&](std::string_view a) {
      if (count < names.size()) names[count++] = a;
    });
    for (const auto& other : kTable) {
      if (&other != &o && o.short_flag != 0 && other.short_flag == o.short_flag) return false;
    }
  }
  if (count >= names.size()) return false;  // more aliases than the check has room for
  for (std::size_t i = 0; i < count; ++i) {
    if (!valid_name(names[i])) return false;
    for (std::size_t j = i + 1; j < count; ++j) {
      if (names[i] == names[j]) return false;
    }
  }
  return true;
}

static_assert(table_is_valid(), "option table: duplicate name/letter or inconsistent row");

}  // namespace

std::span<const OptionSpec> option_table() {
  return kTable;
}

std::span<const SectionInfo> section_names() {
  return kSections;
}

const OptionSpec* find_option(std::string_view name_or_alias) {
  if (name_or_alias.empty()) return nullptr;
  for (const auto& o : kTable) {
    if (o.name == name_or_alias) return &o;
    bool hit = false;
    detail::for_each_word(o.aliases, [&](std::string_view a) { hit = hit || a == name_or_alias; });
    if (hit) return &o;
  }
  return nullptr;
}

const OptionSpec* find_short_option(char flag) {
  if (flag == 0) return nullptr;
  for (const auto& o : kTable) {
    if (o.short_flag == flag) return &o;
  }
  return nullptr;
}

bool takes_value(const OptionSpec& spec) {
  return spec.type == OptionType::kInt || spec.type == OptionType::kString ||
         spec.type == OptionType::kList;
}

}  // namespace ferry::config
