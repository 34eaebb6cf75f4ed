// Making a new signing identity: a private key and a self-signed X.509 v3 certificate, and
// writing them as NAME.key (0600) and NAME.crt (0644). Used by `kiln genkey`. Keygen output
// is not a build artifact, so the serial is random and the validity starts now.
//
// The certificate is its own trust anchor: basicConstraints CA:TRUE, keyUsage
// digitalSignature + keyCertSign, subject and authority key identifiers, and no
// extendedKeyUsage (codeSigning makes `openssl smime -verify` fail the S/MIME purpose check).
// That shape is accepted by `openssl smime -verify -CAfile`, by the kernel's dm-verity
// keyrings (including CA-restricted ones) and by systemd's /etc/verity.d.
#pragma once

#include <filesystem>
#include <string>

#include "builder/common/result.h"
#include "signing/keys.h"

namespace kiln::signing {

enum class KeyAlgorithm {
  kRsa3072,  // default: PKCS#1 v1.5 signatures are deterministic (bit-identical artifacts)
  kEcP256,   // cosign's default; ECDSA signatures are randomised
};

struct GeneratedKey {
  std::string private_key_pem;  // PKCS#8 "PRIVATE KEY", unencrypted
  std::string certificate_pem;
  PrivateKey key;
  Certificate certificate;
};

// subject_cn: the certificate's common name (1-64 characters); validity_days > 0.
Result<GeneratedKey> GenerateKey(KeyAlgorithm alg, const std::string& subject_cn,
                                 int validity_days);

// Writes dir/basename.key (mode exactly 0600, created 0600 with O_EXCL so it is never
// readable by others, even briefly) and dir/basename.crt (0644). Refuses to overwrite
// either file; on failure nothing new is left behind.
Status WriteKeyFiles(const GeneratedKey& key, const std::filesystem::path& dir,
                     const std::string& basename);

}  // namespace kiln::signing
