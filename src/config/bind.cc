// The conversions behind the rows' field bindings (bind.h).
#include "bind.h"

#include <algorithm>

#include "ferry/auth/credential_store.h"
#include "ferry/stun/channel_data.h"
#include "text_util.h"
#include "values.h"

namespace ferry::config::detail {
namespace {

// RFC 1123 host name syntax: dot-separated labels of letters, digits and hyphens, none empty
// or longer than 63, not starting or ending with a hyphen. Checked before resolving, so that a
// typo in an address ("10.0.0.300") is reported as such instead of being sent to DNS.
bool is_host_name(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  if (s.back() == '.') s.remove_suffix(1);
  bool all_numeric_label = false;
  while (!s.empty()) {
    auto dot = s.find('.');
    std::string_view label = s.substr(0, dot);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    all_numeric_label = true;
    for (char c : label) {
      if (!is_alpha(c) && !is_digit(c) && c != '-') return false;
      all_numeric_label = all_numeric_label && is_digit(c);
    }
    s = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  }
  return !all_numeric_label;  // "10.0.0.300" is a bad address, not a name
}

// One value of an address option: an IP address, or a host name resolved now (as coturn does);
// every address the name has. Empty, with an error added, when neither works.
std::vector<Address> addresses_of(const OptionSpec& spec, BuildContext& ctx,
                                  const std::string& text, const std::string& where) {
  if (auto ip = Address::parse_ip(text)) return {*ip};
  if (!is_host_name(text)) {
    ctx.error(where, quoted(spec.name) + " expects an IPv4 or IPv6 address or a host name, got '" +
                         text + "'");
    return {};
  }
  auto found = ctx.resolve(text);
  if (!found || found->empty()) {
    ctx.error(where, quoted(spec.name) + ": cannot resolve '" + text + "'" +
                         (found ? std::string(": no address") : ": " + found.error()));
    return {};
  }
  return std::move(*found);
}

struct Item {
  std::string text;
  std::string where;
};

// A list option's values with their origins; an unset list with a default has that one value.
std::vector<Item> items(const OptionSpec& spec, const BuildContext& ctx) {
  std::vector<Item> out;
  auto values = ctx.config.list(spec.name);
  for (std::size_t i = 0; i < values.size(); ++i) {
    out.push_back({values[i], ctx.config.where(spec.name, i)});
  }
  if (values.empty() && !spec.default_value.empty()) {
    out.push_back({std::string(spec.default_value), "default"});
  }
  return out;
}

}  // namespace

void read(const OptionSpec& spec, BuildContext& ctx, bool& out) {
  out = ctx.config.flag(spec.name);
}

void read(const OptionSpec& spec, BuildContext& ctx, std::string& out) {
  out = ctx.config.string(spec.name);
}

std::int64_t read_integer(const OptionSpec& spec, const BuildContext& ctx) {
  return ctx.config.integer(spec.name);
}

void read(const OptionSpec& spec, BuildContext& ctx, std::vector<std::string>& out) {
  out = ctx.config.list(spec.name);
}

void read(const OptionSpec& spec, BuildContext& ctx, std::vector<Address>& out) {
  out.clear();
  for (const auto& item : items(spec, ctx)) {
    for (const auto& a : addresses_of(spec, ctx, item.text, item.where)) {
      if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
    }
  }
}

void read(const OptionSpec& spec, BuildContext& ctx, std::vector<turn::AddressRange>& out) {
  out.clear();
  for (const auto& item : items(spec, ctx)) {
    if (auto r = turn::AddressRange::parse(item.text)) {
      out.push_back(*r);
    } else {
      ctx.error(item.where, quoted(spec.name) +
                                " expects an address, a range a-b or a CIDR block, got '" +
                                item.text + "'");
    }
  }
}

// external-ip=PUBLIC[/PRIVATE]. A PUBLIC host name gives one mapping per address family it
// resolves to (the first address of each), or, with PRIVATE, the one of PRIVATE's family.
void read(const OptionSpec& spec, BuildContext& ctx, std::vector<turn::ExternalIp>& out) {
  out.clear();
  for (const auto& item : items(spec, ctx)) {
    auto slash = item.text.find('/');
    std::optional<Address> priv;
    if (slash != std::string::npos) {
      priv = Address::parse_ip(item.text.substr(slash + 1));
      if (!priv) {
        ctx.error(item.where, quoted(spec.name) + " expects PUBLIC or PUBLIC/PRIVATE with an IP " +
                                  "address as PRIVATE, got '" + item.text + "'");
        continue;
      }
    }
    auto publics = addresses_of(spec, ctx, item.text.substr(0, slash), item.where);
    bool found = publics.empty();  // an error is already reported
    for (Family f : {Family::kV4, Family::kV6}) {
      if (priv && priv->family() != f) continue;
      auto it = std::find_if(publics.begin(), publics.end(),
                             [f](const Address& a) { return a.family() == f; });
      if (it == publics.end()) continue;
      out.push_back({*it, priv.value_or(Address{})});
      found = true;
    }
    if (!found) {
      ctx.error(item.where, quoted(spec.name) + ": '" + item.text +
                                "' has no public address of the private address's family");
    }
  }
}

// alternate-server=IP:PORT ([IPv6]:PORT): an address clients can reach, port required.
void read(const OptionSpec& spec, BuildContext& ctx, std::vector<turn::AlternateServer>& out) {
  out.clear();
  for (const auto& item : items(spec, ctx)) {
    auto a = Address::parse_endpoint(item.text);
    if (!a || a->port() == 0) {
      ctx.error(item.where,
                quoted(spec.name) + " expects IP:PORT or [IPv6]:PORT, got '" + item.text + "'");
      continue;
    }
    out.push_back({*a});
  }
}

// relay-threads=0 means one thread, as in coturn; unset means one per CPU (settings_build.cc).
void apply_relay_threads(const OptionSpec& spec, BuildContext& ctx) {
  if (!ctx.config.is_set(spec.name)) return;
  ctx.settings.server.threads =
      static_cast<unsigned>(std::max<std::int64_t>(1, ctx.config.integer(spec.name)));
}

// user=NAME:PASSWORD (or NAME:0xKEY). Checked here, line by line; the store is made once the
// realm is known (settings_build.cc), since the keys depend on it.
void apply_user(const OptionSpec& spec, BuildContext& ctx) {
  auth::StaticUsers check("");
  auto values = ctx.config.list(spec.name);
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (auto added = check.add(values[i]); added) {
      ctx.settings.users.push_back(values[i]);
    } else {
      ctx.error(ctx.config.where(spec.name, i), quoted(spec.name) + ": " + added.error());
    }
  }
}

// verbose and Verbose: session events at debug level; neither logs a line per packet.
void apply_verbose(const OptionSpec& spec, BuildContext& ctx) {
  if (ctx.config.flag(spec.name)) ctx.settings.log_level = LogLevel::kDebug;
}

// RFC 5766 §11 numbered channels 0x4000..0x7FFF and the field still does (coturn's
// turnutils_uclient draws from all of it); RFC 8656 §12 narrowed it to 0x4000..0x4FFF, which
// this option enforces.
void apply_rfc8656_channel_numbers(const OptionSpec& spec, BuildContext& ctx) {
  if (ctx.config.flag(spec.name)) {
    ctx.settings.server.turn.max_channel_number = stun::kMaxChannelNumber;
  }
}

// allocation-default-address-family=ipv4|ipv6|keep (coturn's values): the relay family of an
// Allocate without REQUESTED-ADDRESS-FAMILY (RFC 8656 §7.2). A value with a letter's case
// changed is accepted, anything else named as wrong.
void apply_default_address_family(const OptionSpec& spec, BuildContext& ctx) {
  std::string value = ctx.config.string(spec.name);
  for (char& c : value) c = to_lower(c);
  auto& family = ctx.settings.server.turn.default_family;
  if (value == "ipv4") {
    family = turn::DefaultFamily::kIpv4;
  } else if (value == "ipv6") {
    family = turn::DefaultFamily::kIpv6;
  } else if (value == "keep") {
    family = turn::DefaultFamily::kKeep;
  } else {
    ctx.error(ctx.config.where(spec.name), quoted(spec.name) +
                                               " expects ipv4, ipv6 or keep, got '" +
                                               ctx.config.string(spec.name) + "'");
  }
}

// keep-address-family: coturn's older spelling of allocation-default-address-family=keep.
void apply_keep_address_family(const OptionSpec& spec, BuildContext& ctx) {
  if (ctx.config.flag(spec.name))
    ctx.settings.server.turn.default_family = turn::DefaultFamily::kKeep;
}

}  // namespace ferry::config::detail
