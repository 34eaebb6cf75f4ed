#include "builder/pipeline/signer.h"

namespace kiln::pipeline {

SigningPaths SigningPathsFor(const std::string& key_flag, const std::string& cert_flag,
                             const recipe::SigningSection& signing) {
  return {!key_flag.empty() ? key_flag : signing.key,
          !cert_flag.empty() ? cert_flag : signing.certificate ? signing.certificate->string() : ""};
}

Result<std::optional<Signer>> LoadSigner(const SigningPaths& paths, bool required) {
  if (paths.key.empty() && paths.cert.empty()) {
    if (required)
      return MakeError(ErrorCode::kUsage,
                       "no signing key: pass --key KEY --cert CERT or set [signing] in the recipe "
                       "(create a key with `kiln keygen`), or build with --unsigned");
    return std::optional<Signer>();
  }
  if (paths.key.empty() || paths.cert.empty())
    return MakeError(ErrorCode::kUsage, "signing needs both a key and a certificate");
  KILN_ASSIGN_OR_RETURN(signing::PrivateKey k, signing::LoadPrivateKey(paths.key));
  KILN_ASSIGN_OR_RETURN(signing::Certificate c, signing::LoadCertificate(paths.cert));
  if (!signing::KeyMatchesCertificate(k, c))
    return MakeError(ErrorCode::kInput,
                     "the signing key " + paths.key + " does not match the certificate " + paths.cert);
  return std::optional<Signer>(Signer{std::move(k), std::move(c)});
}

}  // namespace kiln::pipeline
