// The OCI distribution API calls kiln makes, one function each: blob existence check, blob
// upload (POST then PUT ?digest=, monolithic), manifest put and get, and blob download that
// verifies the digest while the bytes stream to disk. Used by push, pull and cosign.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "builder/common/result.h"
#include "builder/registry/registry_client.h"

namespace kiln::registry {

inline constexpr const char* kManifestAccept =
    "Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

// HEAD /v2/<repo>/blobs/<digest>: true when the registry already has the blob.
Result<bool> BlobExists(RegistryClient& client, const std::string& repo, const std::string& digest);

// POST /v2/<repo>/blobs/uploads/ then PUT <Location>&digest=<digest> with the whole blob,
// from a file (file non-empty) or from memory.
Status UploadBlob(RegistryClient& client, const std::string& repo, const std::string& digest,
                  const std::filesystem::path& file, std::string_view content = {});

// PUT /v2/<repo>/manifests/<name> with Content-Type media_type.
Status PutManifest(RegistryClient& client, const std::string& repo, const std::string& name,
                   const std::string& media_type, const std::string& bytes);

// The distribution spec asks registries to accept manifests up to 4 MiB; kiln reads no larger.
inline constexpr std::size_t kMaxManifestBytes = 4u << 20;

struct FetchedManifest {
  std::string bytes;
  std::string media_type;  // from the document, else the Content-Type header
  std::string digest;      // "sha256:<hex>" of bytes
};

// GET /v2/<repo>/manifests/<name>. When name is a digest the bytes must hash to it; a
// Docker-Content-Digest header that disagrees with the bytes is a kIntegrity error too.
Result<FetchedManifest> GetManifest(RegistryClient& client, const std::string& repo, const std::string& name);

// GET /v2/<repo>/blobs/<digest> into dest (via dest + ".part"), hashing while streaming;
// kIntegrity when digest is not a sha256 digest, the bytes do not hash to it or their size
// differs from size (-1: any); the transfer is aborted as soon as it exceeds size.
Status FetchBlob(RegistryClient& client, const std::string& repo, const std::string& digest, long long size,
                 const std::filesystem::path& dest);

// "sha256:<hex>" of bytes.
std::string DigestOf(std::string_view bytes);

}  // namespace kiln::registry
