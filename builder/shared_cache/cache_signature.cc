#include "builder/shared_cache/cache_signature.h"

#include "signing/base64.h"
#include "signing/pkcs7.h"

namespace kiln::shared_cache {

namespace {

// A PKCS#7 with one embedded certificate is a few KiB; anything much larger is not ours.
constexpr std::size_t kMaxSignature = 64 * 1024;

}  // namespace

std::string CacheEntryStatement(std::string_view artifact_type, std::string_view key, std::string_view layer_digest) {
  return "kiln-cache-entry 1\n" + std::string(artifact_type) + "\n" + std::string(key) + "\n" +
         std::string(layer_digest) + "\n";
}

Result<CacheTrust> LoadCacheTrust(const std::vector<std::string>& trust_certs, const std::string& sign_key,
                                  const std::string& sign_cert) {
  CacheTrust t;
  for (const auto& path : trust_certs) {
    KILN_ASSIGN_OR_RETURN(signing::Certificate c, signing::LoadCertificate(path).WithContext("--cache-trust " + path));
    t.trusted.push_back(std::move(c));
  }
  if (!sign_key.empty() && !sign_cert.empty()) {
    KILN_ASSIGN_OR_RETURN(signing::PrivateKey k, signing::LoadPrivateKey(sign_key));
    KILN_ASSIGN_OR_RETURN(signing::Certificate c, signing::LoadCertificate(sign_cert));
    t.trusted.push_back(c);
    t.signer = CacheSigner{std::move(k), std::move(c)};
  }
  return t;
}

Result<std::string> SignCacheEntry(const CacheSigner& signer, std::string_view statement) {
  KILN_ASSIGN_OR_RETURN(std::string der, signing::SignPkcs7Detached(statement, signer.key, signer.cert));
  return signing::Base64Encode(der);
}

Status VerifyCacheEntry(const CacheTrust& trust, std::string_view statement, std::string_view annotation) {
  if (annotation.empty()) return MakeError(ErrorCode::kIntegrity, "the entry is not signed");
  if (annotation.size() > kMaxSignature) return MakeError(ErrorCode::kIntegrity, "the entry's signature is oversized");
  auto der = signing::Base64Decode(annotation);
  if (!der.ok()) return MakeError(ErrorCode::kIntegrity, "the entry's signature is not base64");
  for (const auto& cert : trust.trusted)
    if (signing::VerifyPkcs7Detached(statement, *der, cert).ok()) return OkStatus();
  return MakeError(ErrorCode::kIntegrity, "the entry is not signed by a trusted certificate (--cache-trust)");
}

}  // namespace kiln::shared_cache
