// How a row's value reaches its settings field. A row names the field by member pointer
// (`to<&turn::Settings::max_lifetime>()`); the field's type picks the conversion (`read`
// below), and the field's struct picks where it lives in config::Settings (`part_of`). So the
// table is the only place an option is declared: its name, type, range, default and field.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "ferry/config/settings.h"

namespace ferry::config::detail {

inline constexpr std::int64_t kIntMax = 2147483647;
inline constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

template <class M>
struct MemberOf;
template <class C, class T>
struct MemberOf<T C::*> {
  using Class = C;
  using Type = T;
};

// Where each settings struct lives inside config::Settings.
template <class Part>
Part& part_of(Settings& s);
template <>
inline Settings& part_of<Settings>(Settings& s) {
  return s;
}
template <>
inline net::ServerSettings& part_of<net::ServerSettings>(Settings& s) {
  return s.server;
}
template <>
inline turn::Settings& part_of<turn::Settings>(Settings& s) {
  return s.server.turn;
}
template <>
inline turn::PeerPolicySettings& part_of<turn::PeerPolicySettings>(Settings& s) {
  return s.server.turn.peers;
}
template <>
inline http::HttpSettings& part_of<http::HttpSettings>(Settings& s) {
  return s.http;
}
template <>
inline LogOutputs& part_of<LogOutputs>(Settings& s) {
  return s.log;
}
template <>
inline auth::AuthSettings& part_of<auth::AuthSettings>(Settings& s) {
  return s.auth;
}
template <>
inline tls::TlsSettings& part_of<tls::TlsSettings>(Settings& s) {
  return s.server.tls_files;
}

// Conversions by field type. The readers have already checked the value against the row's
// type and range, so these cannot fail except where the text has more structure than the
// table knows (addresses, ranges, NAME:PASSWORD): those add an error naming the value's line.
void read(const OptionSpec& spec, BuildContext& ctx, bool& out);
void read(const OptionSpec& spec, BuildContext& ctx, std::string& out);
void read(const OptionSpec& spec, BuildContext& ctx, std::vector<std::string>& out);
void read(const OptionSpec& spec, BuildContext& ctx, std::vector<Address>& out);
void read(const OptionSpec& spec, BuildContext& ctx, std::vector<turn::AddressRange>& out);
void read(const OptionSpec& spec, BuildContext& ctx, std::vector<turn::ExternalIp>& out);
void read(const OptionSpec& spec, BuildContext& ctx, std::vector<turn::AlternateServer>& out);
std::int64_t read_integer(const OptionSpec& spec, const BuildContext& ctx);

template <class T>
requires std::is_integral_v<T>
void read(const OptionSpec& spec, BuildContext& ctx, T& out) {
  out = static_cast<T>(read_integer(spec, ctx));  // the row's range fits T (field_max)
}
template <class Rep, class Period>
void read(const OptionSpec& spec, BuildContext& ctx, std::chrono::duration<Rep, Period>& out) {
  out = std::chrono::seconds(read_integer(spec, ctx));  // every duration option is in seconds
}

template <auto Field>
void apply_field(const OptionSpec& spec, BuildContext& ctx) {
  using M = MemberOf<decltype(Field)>;
  read(spec, ctx, part_of<typename M::Class>(ctx.settings).*Field);
}

template <auto Field>
void apply_negated(const OptionSpec& spec, BuildContext& ctx) {
  using M = MemberOf<decltype(Field)>;
  static_assert(std::is_same_v<typename M::Type, bool>, "to_not<> binds a flag to a bool");
  bool set = false;
  read(spec, ctx, set);
  // Only ever turns the field off: without the flag it keeps its default, or what an earlier
  // row set (tcp-relay, then no-tcp-relay: given both, the refusal wins).
  if (set) part_of<typename M::Class>(ctx.settings).*Field = false;
}

// The largest option value the field can take, for the table's range check.
template <auto Field>
constexpr std::int64_t field_max() {
  using T = typename MemberOf<decltype(Field)>::Type;
  if constexpr (std::is_same_v<T, bool>) {
    return 1;
  } else if constexpr (std::is_integral_v<T>) {
    constexpr auto m = std::numeric_limits<T>::max();
    return static_cast<std::uint64_t>(m) > static_cast<std::uint64_t>(kInt64Max)
               ? kInt64Max
               : static_cast<std::int64_t>(m);
  } else if constexpr (requires { typename T::period; }) {
    // Seconds into T without overflow.
    return std::chrono::duration_cast<std::chrono::seconds>(T::max()).count();
  } else {
    return kInt64Max;  // text and lists: no numeric range
  }
}

// Options whose value is more than one field's worth (bind.cc says why for each).
void apply_relay_threads(const OptionSpec& spec, BuildContext& ctx);
void apply_user(const OptionSpec& spec, BuildContext& ctx);
void apply_verbose(const OptionSpec& spec, BuildContext& ctx);
void apply_rfc8656_channel_numbers(const OptionSpec& spec, BuildContext& ctx);
void apply_default_address_family(const OptionSpec& spec, BuildContext& ctx);
void apply_keep_address_family(const OptionSpec& spec, BuildContext& ctx);

}  // namespace ferry::config::detail
