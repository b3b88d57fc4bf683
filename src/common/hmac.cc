#include "ferry/common/hmac.h"

#include <openssl/evp.h>
#include <openssl/opensslv.h>

#if OPENSSL_VERSION_NUMBER >= 0x30000000L
#include <openssl/core_names.h>
#include <openssl/params.h>
#else
#include <openssl/hmac.h>
#endif

namespace ferry {

namespace {

#if OPENSSL_VERSION_NUMBER >= 0x30000000L
// One MAC context per digest and thread, made once: with OpenSSL 3, creating a context and
// naming its digest (a provider lookup by string) cost more than the HMAC of a STUN message
// (callgrind: ~20,000 instructions per Allocate went to it). A context is not shareable
// between threads; each worker thread gets its own, freed when the thread ends.
class Contexts {
 public:
  Contexts() {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (mac == nullptr) return;
    const char* names[] = {"SHA1", "SHA256"};
    for (int i = 0; i < 2; ++i) {
      ctx_[i] = EVP_MAC_CTX_new(mac);
      const OSSL_PARAM params[] = {
          OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(names[i]), 0),
          OSSL_PARAM_construct_end()};
      if (ctx_[i] != nullptr && EVP_MAC_CTX_set_params(ctx_[i], params) != 1) {
        EVP_MAC_CTX_free(ctx_[i]);
        ctx_[i] = nullptr;
      }
    }
    EVP_MAC_free(mac);  // the contexts hold their own references
  }
  ~Contexts() {
    for (auto* c : ctx_) EVP_MAC_CTX_free(c);
  }
  Contexts(const Contexts&) = delete;
  Contexts& operator=(const Contexts&) = delete;
  EVP_MAC_CTX* get(HmacDigest d) const { return ctx_[d == HmacDigest::kSha1 ? 0 : 1]; }

 private:
  EVP_MAC_CTX* ctx_[2] = {nullptr, nullptr};
};
#endif

}  // namespace

bool hmac(HmacDigest d, Bytes key, Bytes a, Bytes b, std::uint8_t* out) {
  // OpenSSL reads a null key as "no key"; an empty key is still a key (zero bytes).
  static constexpr std::uint8_t kNoBytes = 0;
  const std::uint8_t* key_data = key.empty() ? &kNoBytes : key.data();
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
  thread_local const Contexts contexts;
  EVP_MAC_CTX* ctx = contexts.get(d);
  if (ctx == nullptr) return false;
  std::size_t n = 0;
  bool ok = EVP_MAC_init(ctx, key_data, key.size(), nullptr) == 1;
  ok = ok && (a.empty() || EVP_MAC_update(ctx, a.data(), a.size()) == 1);
  ok = ok && (b.empty() || EVP_MAC_update(ctx, b.data(), b.size()) == 1);
  ok = ok && EVP_MAC_final(ctx, out, &n, hmac_size(d)) == 1;
  return ok && n == hmac_size(d);
#else
  HMAC_CTX* ctx = HMAC_CTX_new();
  if (ctx == nullptr) return false;
  unsigned n = 0;
  bool ok = HMAC_Init_ex(ctx, key_data, static_cast<int>(key.size()),
                         d == HmacDigest::kSha1 ? EVP_sha1() : EVP_sha256(), nullptr) == 1;
  ok = ok && (a.empty() || HMAC_Update(ctx, a.data(), a.size()) == 1);
  ok = ok && (b.empty() || HMAC_Update(ctx, b.data(), b.size()) == 1);
  ok = ok && HMAC_Final(ctx, out, &n) == 1;
  HMAC_CTX_free(ctx);
  return ok && n == hmac_size(d);
#endif
}

}  // namespace ferry
