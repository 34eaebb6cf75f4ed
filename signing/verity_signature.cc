#include "signing/verity_signature.h"

#include <nlohmann/json.hpp>

#include "signing/base64.h"
#include "signing/pkcs7.h"

namespace kiln::signing {
namespace {

bool IsLowerHex(std::string_view s) {
  if (s.empty() || s.size() % 2 != 0) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<std::string> Field(const nlohmann::json& doc, const char* name) {
  auto it = doc.find(name);
  if (it == doc.end() || !it->is_string())
    return MakeError(ErrorCode::kInput,
                     std::string("verity signature: missing or non-string field '") + name + "'");
  return it->get<std::string>();
}

}  // namespace

Result<std::string> MakeVeritySignatureJson(const std::string& root_hash_hex, const Certificate& cert,
                                            std::string_view pkcs7_der) {
  if (!IsLowerHex(root_hash_hex))
    return MakeError(ErrorCode::kBuild, "verity root hash '" + root_hash_hex + "' is not lowercase hex");
  if (pkcs7_der.empty()) return MakeError(ErrorCode::kBuild, "verity signature: empty PKCS#7");
  nlohmann::ordered_json doc;
  doc["rootHash"] = root_hash_hex;
  doc["certificateFingerprint"] = CertificateFingerprintSha256(cert);
  doc["signature"] = Base64Encode(pkcs7_der);
  return doc.dump();
}

std::string PadVeritySignature(std::string json) {
  constexpr std::size_t kBlock = 4096;
  std::size_t size = json.empty() ? kBlock : (json.size() + kBlock - 1) / kBlock * kBlock;
  json.resize(size, '\0');
  return json;
}

Result<VeritySignature> ParseVeritySignature(std::string_view bytes) {
  std::size_t end = bytes.find_last_not_of('\0');
  if (end == std::string_view::npos) return MakeError(ErrorCode::kInput, "verity signature partition is empty");
  std::string_view text = bytes.substr(0, end + 1);
  if (text.find('\0') != std::string_view::npos)
    return MakeError(ErrorCode::kInput, "verity signature: NUL byte inside the JSON");
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object())
    return MakeError(ErrorCode::kInput, "verity signature is not a JSON object");
  VeritySignature sig;
  KILN_ASSIGN_OR_RETURN(sig.root_hash_hex, Field(doc, "rootHash"));
  KILN_ASSIGN_OR_RETURN(sig.certificate_fingerprint, Field(doc, "certificateFingerprint"));
  KILN_ASSIGN_OR_RETURN(std::string sig_b64, Field(doc, "signature"));
  if (!IsLowerHex(sig.root_hash_hex))
    return MakeError(ErrorCode::kInput, "verity signature: rootHash is not lowercase hex");
  if (sig.certificate_fingerprint.size() != 64 || !IsLowerHex(sig.certificate_fingerprint))
    return MakeError(ErrorCode::kInput,
                     "verity signature: certificateFingerprint is not a lowercase hex SHA-256");
  KILN_ASSIGN_OR_RETURN(sig.signature_der,
                        std::move(Base64Decode(sig_b64)).WithContext("verity signature field 'signature'"));
  if (sig.signature_der.empty()) return MakeError(ErrorCode::kInput, "verity signature: empty signature");
  return sig;
}

Status VerifyVeritySignature(const VeritySignature& sig, const Certificate& cert) {
  std::string fp = CertificateFingerprintSha256(cert);
  if (sig.certificate_fingerprint != fp)
    return MakeError(ErrorCode::kIntegrity, "verity signature was made for certificate " +
                                                sig.certificate_fingerprint + ", not " + fp);
  return VerifyPkcs7Detached(sig.root_hash_hex, sig.signature_der, cert);
}

}  // namespace kiln::signing
