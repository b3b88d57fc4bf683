// Realms (coturn's dynamic realms): which realm a request is answered and authenticated in,
// and what an allocation keeps of it. Realms and their options come from the credential store
// (a database's turn_origin_to_realm and turn_realm_option); a client only picks among them
// with ORIGIN, so an ORIGIN that maps to nothing leaves no state behind (the configured realm
// answers, as for a request without one).
#include "allocation.h"
#include "ferry/auth/origin.h"
#include "ferry/stun/attributes.h"
#include "ferry/turn/dispatcher.h"
#include "reply.h"

namespace ferry::turn {

namespace {

std::string_view text_of(Bytes b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// FNV-1a of the canonical ORIGIN (the raw bytes when it has none), folded to 16 bits; never
// 0, which stands for "no ORIGIN". Unkeyed on purpose: the ORIGIN is what the authenticated
// owner of the allocation says of itself, so nothing is gained by forging a collision.
std::uint16_t origin_tag(std::string_view origin) {
  std::uint32_t h = 2166136261u;
  for (char c : origin) {
    h ^= static_cast<std::uint8_t>(c);
    h *= 16777619u;
  }
  const auto folded = static_cast<std::uint16_t>(h ^ (h >> 16));
  return folded == 0 ? 1 : folded;
}

// The request's ORIGIN values (non-empty, before MESSAGE-INTEGRITY: RFC 8489 §14.5), at most
// kMaxOrigins of them: coturn's client sends three (two of its own around the one asked for),
// and coturn tries each in turn; a stranger's message full of them costs a bounded number of
// lookups. `fn` returns true to stop.
constexpr std::size_t kMaxOrigins = 4;

template <class Fn>
void for_each_origin(const stun::MessageView& m, Fn&& fn) {
  std::size_t seen = 0;
  for (std::size_t i = 0; i < m.attribute_count() && seen < kMaxOrigins; ++i) {
    const stun::RawAttribute a = m.attribute(i);
    if (a.type == stun::attr::kMessageIntegrity || a.type == stun::attr::kMessageIntegritySha256) {
      return;
    }
    if (a.type != stun::attr::Origin::kType || a.value.empty()) continue;  // empty: coturn's rule
    ++seen;
    if (fn(text_of(a.value))) return;
  }
}

std::uint16_t tag_of(std::string_view origin) {
  auth::OriginBuffer buf;
  const auto canonical = auth::canonical_origin(origin, buf);
  return origin_tag(canonical ? *canonical : origin);
}

}  // namespace

Dispatcher::RealmChoice Dispatcher::realm_of_request(const Request& r) {
  RealmChoice c{.name = settings_.realm};
  std::optional<auth::RealmMatch> match;
  // The first ORIGIN that maps names the realm (and is the one check-origin-consistency
  // keeps); with none mapped, the first ORIGIN is kept and the configured realm answers.
  for_each_origin(r.message, [&](std::string_view origin) {
    auth::OriginBuffer buf;
    const auto canonical = auth::canonical_origin(origin, buf);
    const std::uint16_t tag = origin_tag(canonical ? *canonical : origin);
    if (c.origin_tag == 0) c.origin_tag = tag;
    if (!canonical || !settings_.dynamic_realms) return !settings_.dynamic_realms;
    match = deps_.credentials.realm_for_origin(*canonical);
    if (match) c.origin_tag = tag;
    return match.has_value();
  });
  if (!match) return c;
  c.options = match->options;
  if (match->realm == settings_.realm) return c;
  realm_buf_ = std::move(match->realm);
  c.name = realm_buf_;
  c.configured = false;
  return c;
}

Dispatcher::RealmChoice Dispatcher::realm_of_allocation(const Allocation& a) const {
  if (a.realm == 0) return {.name = settings_.realm, .origin_tag = a.origin_tag};
  return {.name = deps_.quotas.realm_name(a.realm),
          .configured = false,
          .index = a.realm,
          .origin_tag = a.origin_tag};
}

std::optional<RealmLimits> Dispatcher::realm_limits(const RealmChoice& realm) {
  RealmLimits limits;
  // The configured realm's options may come from the database too (its turn_realm_option
  // rows); realm_of_request() only fetched them for a request whose ORIGIN mapped.
  const auth::RealmOptions options = realm.configured && settings_.dynamic_realms
                                         ? deps_.credentials.realm_options(realm.name)
                                         : realm.options;
  limits.user_quota = options.user_quota;
  limits.total_quota = options.total_quota;
  if (!realm.configured) {
    auto index = realm.index != 0 ? std::optional<std::uint16_t>(realm.index)
                                  : deps_.quotas.realm_index(realm.name);
    if (!index) return std::nullopt;
    limits.realm = *index;
  }
  return limits;
}

bool Dispatcher::origin_consistent(const Request& r, const Allocation& a) const {
  if (!settings_.check_origin_consistency) return true;
  // coturn's rule: one of the request's ORIGINs is the allocation's; an allocation made
  // without ORIGIN takes requests without one only.
  bool any = false;
  bool same = false;
  for_each_origin(r.message, [&](std::string_view origin) {
    any = true;
    same = tag_of(origin) == a.origin_tag;
    return same;
  });
  return any ? same : a.origin_tag == 0;
}

}  // namespace ferry::turn
