// Plain signatures over a message with SHA-256: RSA PKCS#1 v1.5, ECDSA (DER, as cosign and
// `openssl dgst -sha256 -sign` produce) or Ed25519 (pure). Used for cosign image signatures
// (ECDSA P-256, the oci stage) and DSSE envelopes (provenance).
#pragma once

#include <string>
#include <string_view>

#include "builder/common/result.h"
#include "signing/keys.h"

namespace kiln::signing {

// RSA signatures are deterministic; ECDSA ones differ on every call (random nonce).
Result<std::string> SignMessage(const PrivateKey& key, std::string_view msg);

// kIntegrity error when sig is not a valid signature of msg by key.
Status VerifyMessage(const PublicKey& key, std::string_view msg, std::string_view sig);

}  // namespace kiln::signing
