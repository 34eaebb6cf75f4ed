// cosign's classic key-based image signature, so `cosign verify --key` and other existing
// tooling understand what kiln publishes: a manifest tagged sha256-<hex>.sig in the image's
// repository with one simple-signing payload layer whose annotation
// dev.cosignproject.cosign/signature is base64(ECDSA P-256 DER signature over the payload).
// Used by `kiln push --sign` and `kiln verify --registry`.
#pragma once

#include <string>

#include "builder/common/result.h"
#include "builder/registry/pull.h"
#include "builder/registry/push.h"
#include "builder/registry/reference.h"
#include "signing/keys.h"

namespace kiln::registry {

inline constexpr const char* kCosignPayloadType = "application/vnd.dev.cosign.simplesigning.v1+json";
inline constexpr const char* kCosignSignatureAnnotation = "dev.cosignproject.cosign/signature";

// The exact simple-signing payload cosign signs (key order and spacing as cosign writes it).
std::string CosignPayload(const std::string& docker_reference, const std::string& manifest_digest);

// "sha256:<hex>" -> "sha256-<hex>.sig"
std::string CosignSignatureTag(const std::string& manifest_digest);

// Signs manifest_digest (an image in ref's repository) and pushes the signature manifest.
// An existing .sig tag is replaced.
Status PushCosignSignature(const Reference& ref, const std::string& manifest_digest,
                           const signing::PrivateKey& key, const PushOptions& opts);

// Resolves ref to its manifest digest, fetches the .sig manifest and its payloads, and
// succeeds when a payload names that digest and its signature verifies with pub.
// kIntegrity when there is no signature, or none matches/verifies.
Result<std::string> VerifyCosignSignature(const Reference& ref, const signing::PublicKey& pub,
                                          const PullOptions& opts);

}  // namespace kiln::registry
