// Signatures of shared build cache entries (issue 13): a registry is not trusted, so what
// `--cache-to` pushes (base trees, block packs) is signed with the build key, and
// `--cache-from` uses an entry only when its signature verifies with a certificate the user
// named (`--cache-trust CERT`, and the build certificate when the build is signed).
//
// The signature is a detached PKCS#7 (signing/pkcs7.h; deterministic with an RSA key) over
//   "kiln-cache-entry 1\n" <artifactType> "\n" <cache key> "\n" <layer digest> "\n"
// carried base64 in the entry manifest's annotation dev.kiln.cache.signature. The layer
// digest binds the content (the registry client checks it while the layer streams); the
// artifact type and key bind the place, so a signed entry cannot be replayed under another key.
// Used by build_cache.cc.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "builder/common/result.h"
#include "signing/keys.h"

namespace kiln::shared_cache {

inline constexpr const char* kCacheSignatureAnnotation = "dev.kiln.cache.signature";

// What the signature of an entry covers.
std::string CacheEntryStatement(std::string_view artifact_type, std::string_view key, std::string_view layer_digest);

struct CacheSigner {
  signing::PrivateKey key;
  signing::Certificate cert;
};

// Who may write the shared cache: the certificates to verify with, and the key to sign with.
struct CacheTrust {
  std::vector<signing::Certificate> trusted;
  std::optional<CacheSigner> signer;
};

// Loads the --cache-trust certificates and, when both are given, the build's key and
// certificate (the certificate is then trusted too). Errors name the file (kInput).
Result<CacheTrust> LoadCacheTrust(const std::vector<std::string>& trust_certs, const std::string& sign_key,
                                  const std::string& sign_cert);

// The annotation value: base64 of the detached PKCS#7 over the statement.
Result<std::string> SignCacheEntry(const CacheSigner& signer, std::string_view statement);

// Succeeds when the annotation is a signature of statement by one of trust.trusted; else a
// kIntegrity error saying the entry is unsigned or not signed by a trusted certificate.
Status VerifyCacheEntry(const CacheTrust& trust, std::string_view statement, std::string_view annotation);

}  // namespace kiln::shared_cache
