#include "ferry/auth/long_term_key.h"

#include <openssl/evp.h>

#include <initializer_list>

namespace ferry::auth {

namespace {

// Digest of the parts joined by ':' (the key derivations of RFC 8489 §9.2.2 and §14.4).
template <std::size_t N>
std::array<std::uint8_t, N> digest_joined(const EVP_MD* md,
                                          std::initializer_list<std::string_view> parts) {
  std::array<std::uint8_t, N> out{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned len = 0;
  EVP_DigestInit_ex(ctx, md, nullptr);
  bool first = true;
  for (auto p : parts) {
    if (!first) EVP_DigestUpdate(ctx, ":", 1);
    EVP_DigestUpdate(ctx, p.data(), p.size());
    first = false;
  }
  EVP_DigestFinal_ex(ctx, out.data(), &len);
  EVP_MD_CTX_free(ctx);
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Md5Key md5_key(std::string_view user, std::string_view realm, std::string_view password) {
  return digest_joined<16>(EVP_md5(), {user, realm, password});
}

Sha256Key sha256_key(std::string_view user, std::string_view realm, std::string_view password) {
  return digest_joined<32>(EVP_sha256(), {user, realm, password});
}

Sha256Key userhash(std::string_view user, std::string_view realm) {
  return digest_joined<32>(EVP_sha256(), {user, realm});
}

std::optional<Md5Key> parse_hex_key(std::string_view text) {
  if (text.size() != 34 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) {
    return std::nullopt;
  }
  Md5Key k{};
  for (std::size_t i = 0; i < 16; ++i) {
    int hi = hex_value(text[2 + 2 * i]);
    int lo = hex_value(text[3 + 2 * i]);
    if (hi < 0 || lo < 0) return std::nullopt;
    k[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return k;
}

}  // namespace ferry::auth
