#include "ferry/auth/rest_secrets.h"

#include <openssl/evp.h>

#include <array>

#include "ferry/common/hmac.h"

namespace ferry::auth {

namespace {

// 1 to 18 decimal digits (up to year 31 billion; no overflow to check), nothing else.
std::optional<std::int64_t> parse_digits(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  std::int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace

std::string rest_password(std::string_view secret, std::string_view username) {
  std::array<std::uint8_t, 20> mac{};
  ferry::hmac(HmacDigest::kSha1,
              Bytes(reinterpret_cast<const std::uint8_t*>(secret.data()), secret.size()),
              Bytes(reinterpret_cast<const std::uint8_t*>(username.data()), username.size()), {},
              mac.data());
  std::array<unsigned char, 32> text{};  // 4 * ceil(20 / 3) = 28, plus the terminator
  const int n = EVP_EncodeBlock(text.data(), mac.data(), static_cast<int>(mac.size()));
  return std::string(reinterpret_cast<const char*>(text.data()), static_cast<std::size_t>(n));
}

std::optional<std::int64_t> rest_expiry(std::string_view username, char separator) {
  const auto first = username.find(separator);
  if (first == std::string_view::npos) return parse_digits(username);  // a bare expiry
  // The draft's "<expiry>:<user>" first; the user part may itself hold the separator.
  if (auto head = parse_digits(username.substr(0, first))) return head;
  const auto last = username.rfind(separator);
  return parse_digits(username.substr(last + 1));  // "<user>:<expiry>"
}

Lookup RestSecrets::find(std::string_view user, std::string_view realm,
                         std::int64_t unix_now) const {
  if (realm != realm_ || secrets_.empty()) return {};
  auto expiry = rest_expiry(user, separator_);
  if (!expiry) return {};
  // The draft: "the TURN server ... verifies that the timestamp is not in the past".
  if (*expiry <= unix_now) return {Lookup::Status::kExpired, {}};
  Lookup found{Lookup::Status::kFound, {}};
  found.keys.reserve(secrets_.size());
  for (const auto& secret : secrets_) {
    const std::string password = rest_password(secret, user);
    found.keys.push_back({md5_key(user, realm_, password), sha256_key(user, realm_, password)});
  }
  return found;
}

}  // namespace ferry::auth
