// OCI 1.1 artifacts: an image manifest whose artifactType says what it carries and whose
// layers are arbitrary files, each named by an org.opencontainers.image.title annotation.
// kiln pushes three kinds: disk images (one layer per split artifact), SBOM referrers (with a
// subject) and build cache entries. docker-registry 2.8 (Debian) accepts these manifests as
// ordinary OCI image manifests: it stores the bytes as pushed (artifactType and subject
// included), only requires every descriptor's blob to exist, and does not look at the config
// media type. Used by disk_artifact, referrers and build_cache.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "builder/common/result.h"
#include "builder/oci/blob_store.h"
#include "builder/registry/push.h"
#include "builder/registry/reference.h"
#include "builder/registry/registry_client.h"

namespace kiln::registry {

// The OCI 1.1 empty descriptor: config of an artifact that has nothing to configure.
inline constexpr const char* kMediaTypeEmpty = "application/vnd.oci.empty.v1+json";
inline constexpr const char* kEmptyJson = "{}";
inline constexpr const char* kAnnotationTitle = "org.opencontainers.image.title";

struct ArtifactFile {
  std::string title;            // file name (no '/', no "..")
  std::string media_type;
  std::filesystem::path path;   // the bytes come from this file...
  std::string content;          // ...or, when path is empty, from here
  // Filled by DescribeArtifactFiles:
  std::string digest;           // "sha256:<hex>"
  std::uint64_t size = 0;
};

struct ArtifactSpec {
  std::string artifact_type;
  std::string config_media_type;  // empty: the OCI 1.1 empty config ("{}")
  std::string config;             // config bytes when config_media_type is set
  std::vector<ArtifactFile> files;
  std::optional<oci::Descriptor> subject;            // OCI 1.1 referrer of this manifest
  std::map<std::string, std::string> annotations;    // manifest annotations
};

struct PushedArtifact {
  oci::Descriptor manifest;   // media type, digest, size of the pushed manifest
  std::string bytes;          // the manifest itself
  std::string oci_subject;    // the registry's OCI-Subject header (it has the referrers API)
  int blobs_uploaded = 0;
  int blobs_skipped = 0;
  long long bytes_uploaded = 0;
};

// Hashes every file (digest, size) whose digest is not set yet.
Status DescribeArtifactFiles(std::vector<ArtifactFile>& files);

// The manifest JSON for spec (files described); keys sorted, so identical inputs give
// identical digests.
std::string BuildArtifactManifest(const ArtifactSpec& spec);

// Uploads the config and every file the registry lacks (HEAD first), then the manifest under
// `name` (a tag), or by its digest when name is empty.
Result<PushedArtifact> PushArtifact(RegistryClient& client, const std::string& repo, ArtifactSpec spec,
                                    const std::string& name);
// PushArtifact to ref.repository under ref.tag with a client of its own, reported as `kiln push`
// reports a push (reference: ref).
Result<PushResult> PushArtifactAs(const Reference& ref, ArtifactSpec spec, const RegistryOptions& opts);

// A title that is a plain file name: not empty, no '/', not "." or "..", no control
// characters, no leading '.'. kIntegrity otherwise (it came from a registry).
Status CheckTitle(const std::string& title);

// Fetches every layer of an artifact manifest into dir under its title, each verified against
// its digest and size while it streams (via a ".part" file). Titles are checked first and
// must be unique. Returns the titles in manifest order.
Result<std::vector<std::string>> FetchArtifactFiles(RegistryClient& client, const std::string& repo,
                                                    const nlohmann::json& manifest,
                                                    const std::filesystem::path& dir);

// The artifact type of a manifest: artifactType, else the config media type.
std::string ArtifactTypeOf(const nlohmann::json& manifest);

}  // namespace kiln::registry
