#include "ferry/auth/userdb_snapshot.h"

#include <array>
#include <charconv>
#include <optional>

#include "ferry/auth/origin.h"

namespace ferry::auth {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Exactly 2 * N hex digits (either case), nothing else.
template <std::size_t N>
std::optional<std::array<std::uint8_t, N>> parse_hex(std::string_view text) {
  if (text.size() != 2 * N) return std::nullopt;
  std::array<std::uint8_t, N> out{};
  for (std::size_t i = 0; i < N; ++i) {
    const int hi = hex_digit(text[2 * i]);
    const int lo = hex_digit(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return out;
}

}  // namespace

const UserDbSnapshot::Realm* UserDbSnapshot::realm(std::string_view name) const {
  auto it = realms.find(name);
  return it == realms.end() ? nullptr : &it->second;
}

std::string UserDbSnapshot::summary() const {
  std::string s = "users: " + std::to_string(users) + ", secrets: " + std::to_string(secrets) +
                  ", other rows: " + std::to_string(other_rows) +
                  ", realms: " + std::to_string(realms.size());
  if (skipped.total() == 0) return s;
  s += "; skipped " + std::to_string(skipped.total()) + " rows:";
  if (skipped.bad_key != 0)
    s += " " + std::to_string(skipped.bad_key) + " with a malformed hmackey";
  if (skipped.empty_secret != 0) s += " " + std::to_string(skipped.empty_secret) + " empty secrets";
  if (skipped.too_long != 0) s += " " + std::to_string(skipped.too_long) + " with fields too long";
  if (skipped.bad_origin != 0) {
    s += " " + std::to_string(skipped.bad_origin) +
         " origins that are no scheme://host[:port] or map to no valid REALM (UTF-8, under "
         "128 characters)";
  }
  if (skipped.bad_realm_option != 0) {
    s += " " + std::to_string(skipped.bad_realm_option) +
         " realm options other than max-bps, total-quota, user-quota with a decimal value";
  }
  if (skipped.stale_sha256 != 0) {
    s += " " + std::to_string(skipped.stale_sha256) +
         " SHA-256 keys of an older password (the user was changed by another tool: run "
         "turnadmin -a again to give it one)";
  }
  return s;
}

namespace {

// RFC 8489 §14.9: REALM "MUST be a UTF-8-encoded sequence of fewer than 128 characters",
// processed with the OpaqueString profile (RFC 8265, which disallows control characters).
// Strict UTF-8 (RFC 3629): no overlong forms, surrogates or code points over U+10FFFF.
bool realm_attribute_value(std::string_view realm) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < realm.size(); ++chars) {
    const auto b = static_cast<unsigned char>(realm[i]);
    if (b < 0x20 || b == 0x7F) return false;
    std::size_t len = b < 0x80             ? 1
                      : (b & 0xE0) == 0xC0 ? 2
                      : (b & 0xF0) == 0xE0 ? 3
                      : (b & 0xF8) == 0xF0 ? 4
                                           : 0;
    if (len == 0 || i + len > realm.size()) return false;
    std::uint32_t cp = len == 1 ? b : b & (0x7F >> len);
    for (std::size_t k = 1; k < len; ++k) {
      const auto c = static_cast<unsigned char>(realm[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    if (cp >= 0x80 && cp <= 0x9F) return false;  // C1 controls
    i += len;
  }
  return chars > 0 && chars < 128;
}

}  // namespace

bool SnapshotBuilder::too_long(std::string_view a, std::string_view b) {
  if (a.size() <= limits_.max_field && b.size() <= limits_.max_field) return false;
  ++snap_->skipped.too_long;
  return true;
}

Expected<void> SnapshotBuilder::add_user(std::string_view realm, std::string_view name,
                                         std::string_view hmackey) {
  if (too_long(realm, name)) return {};
  auto key = parse_hex<16>(hmackey);
  if (!key) {
    ++snap_->skipped.bad_key;
    return {};
  }
  if (snap_->users >= limits_.max_users) {
    return fail("more than " + std::to_string(limits_.max_users) + " users: not loaded");
  }
  auto [it, added] =
      snap_->realms[std::string(realm)].users.insert_or_assign(std::string(name), UserKeys{*key});
  if (added) ++snap_->users;
  return {};
}

void SnapshotBuilder::add_sha256(std::string_view realm, std::string_view name,
                                 std::string_view md5_hex, std::string_view sha256_hex) {
  auto r = snap_->realms.find(realm);
  if (r == snap_->realms.end()) return;  // no such user (any more): nothing to key
  auto u = r->second.users.find(name);
  if (u == r->second.users.end()) return;
  auto md5 = parse_hex<16>(md5_hex);
  auto sha = parse_hex<32>(sha256_hex);
  if (!md5 || !sha) {
    ++snap_->skipped.bad_key;
    return;
  }
  if (*md5 != u->second.md5) {
    ++snap_->skipped.stale_sha256;
    return;
  }
  u->second.sha256 = *sha;
}

Expected<void> SnapshotBuilder::add_secret(std::string_view realm, std::string_view value) {
  if (too_long(realm, value)) return {};
  // An empty secret would let anyone compute valid passwords (HMAC under an empty key).
  if (value.empty()) {
    ++snap_->skipped.empty_secret;
    return {};
  }
  auto& secrets = snap_->realms[std::string(realm)].secrets;
  if (secrets.size() >= limits_.max_secrets_per_realm) {
    return fail("more than " + std::to_string(limits_.max_secrets_per_realm) +
                " secrets for realm '" + std::string(realm) + "': not loaded");
  }
  secrets.emplace_back(value);
  ++snap_->secrets;
  return {};
}

Expected<void> SnapshotBuilder::count_other() {
  if (snap_->other_rows >= limits_.max_other_rows) {
    return fail("more than " + std::to_string(limits_.max_other_rows) +
                " rows of peer lists, origins and realm options: not loaded");
  }
  ++snap_->other_rows;
  return {};
}

Expected<void> SnapshotBuilder::add_allowed_peer(std::string_view realm, std::string_view range) {
  if (too_long(realm, range)) return {};
  if (auto ok = count_other(); !ok) return ok;
  snap_->realms[std::string(realm)].allowed_peer_ips.emplace_back(range);
  return {};
}

Expected<void> SnapshotBuilder::add_denied_peer(std::string_view realm, std::string_view range) {
  if (too_long(realm, range)) return {};
  if (auto ok = count_other(); !ok) return ok;
  snap_->realms[std::string(realm)].denied_peer_ips.emplace_back(range);
  return {};
}

Expected<void> SnapshotBuilder::add_origin(std::string_view origin, std::string_view realm) {
  if (too_long(origin, realm)) return {};
  OriginBuffer buf;
  const auto canonical = canonical_origin(origin, buf);
  // An empty realm would answer 401s with REALM "" (which breaks clients) for that origin, and
  // one that is no REALM value (realm_attribute_value) would make them malformed or, over 509
  // bytes, impossible to encode: that origin's clients would get no answer at all.
  if (!canonical || !realm_attribute_value(realm)) {
    ++snap_->skipped.bad_origin;
    return {};
  }
  if (auto ok = count_other(); !ok) return ok;
  snap_->origin_to_realm.insert_or_assign(std::string(*canonical), std::string(realm));
  // The realm exists from now on (it may have no users: its REST secrets may be the
  // configuration's), so its options and lookups find it.
  snap_->realms.try_emplace(std::string(realm));
  return {};
}

Expected<void> SnapshotBuilder::add_realm_option(std::string_view realm, std::string_view opt,
                                                 std::string_view value) {
  if (too_long(realm, opt) || too_long(value)) return {};
  if (auto ok = count_other(); !ok) return ok;
  UserDbSnapshot::Realm& r = snap_->realms[std::string(realm)];
  r.options.emplace_back(opt, value);
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  const bool number = ec == std::errc() && end == value.data() + value.size();
  // coturn's three options (its reread_realms); 0 means no limit for the realm, as there.
  if (number && opt == "user-quota") {
    r.limits.user_quota = n;
  } else if (number && opt == "total-quota") {
    r.limits.total_quota = n;
  } else if (number && opt == "max-bps") {
    r.limits.max_bps = n;
  } else {
    ++snap_->skipped.bad_realm_option;
  }
  return {};
}

std::shared_ptr<const UserDbSnapshot> SnapshotBuilder::finish() && {
  return std::move(snap_);
}

}  // namespace ferry::auth
