// OCI 1.1 referrers: artifacts that point at an image through their `subject` (kiln attaches
// the SPDX SBOM this way). A registry with the referrers API (GET /v2/<repo>/referrers/<digest>)
// answers the OCI-Subject header when such a manifest is pushed; one without it (Debian's
// docker-registry 2.8) needs the client to maintain the referrers tag schema fallback of the
// distribution spec 1.1: tag "sha256-<hex>" of the subject holding an image index that lists
// every referrer (mediaType, digest, size, artifactType, annotations). cosign's signature tag
// "sha256-<hex>.sig" is a different tag, so both live side by side.
// Used by `kiln push` (SBOM) and tests.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "builder/common/result.h"
#include "builder/oci/blob_store.h"
#include "builder/registry/artifact.h"
#include "builder/registry/reference.h"
#include "builder/registry/registry_client.h"

namespace kiln::registry {

inline constexpr const char* kSpdxMediaType = "application/spdx+json";

// "sha256:<hex>" -> "sha256-<hex>" (the fallback tag for the subject's referrers).
std::string ReferrersTag(const std::string& subject_digest);

// Adds referrer (a descriptor with artifactType and annotations) to the fallback index of
// subject_digest, creating the index or replacing an entry with the same digest.
Status AddToReferrersIndex(RegistryClient& client, const std::string& repo, const std::string& subject_digest,
                           const nlohmann::json& referrer);

// The referrers of subject_digest: the referrers API when the registry has it, else the
// fallback tag (none: empty list). Optionally only those of one artifact type.
Result<std::vector<nlohmann::json>> ListReferrers(RegistryClient& client, const std::string& repo,
                                                  const std::string& subject_digest,
                                                  const std::string& artifact_type = {});

// Pushes the SPDX document as an artifact (artifactType application/spdx+json, empty config,
// one layer titled with its file name) whose subject is `subject`, and records it in the
// fallback index unless the registry said it indexes referrers itself.
Result<PushedArtifact> PushSbomReferrer(const Reference& ref, const oci::Descriptor& subject,
                                        const std::filesystem::path& spdx, const RegistryOptions& opts);

}  // namespace kiln::registry
