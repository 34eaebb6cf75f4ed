// `kiln push`: publishes an OCI image layout (as builder/oci writes it) to a registry.
// Blobs the registry already has are skipped (HEAD), the others uploaded monolithically with
// retries; child manifests of an index go by digest, the top manifest under the tag.
// Used by the CLI (cmd_push.cc).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "builder/common/result.h"
#include "builder/registry/reference.h"
#include "builder/registry/registry_client.h"

namespace kiln::registry {

struct PushOptions : RegistryOptions {};

struct PushResult {
  std::string reference;        // what was pushed: "host/repo:tag"
  std::string tag;
  std::string manifest_digest;  // "sha256:<hex>" of the top manifest
  std::string media_type;
  std::uint64_t manifest_size = 0;  // bytes of the top manifest (for referrers' subject)
  int blobs_uploaded = 0;
  int blobs_skipped = 0;        // already present in the registry
  long long bytes_uploaded = 0;
};

// Checks the layout (every blob's digest) and pushes it. The tag is ref.tag or, when empty,
// the ref.name annotation of the layout's index entry (made docker-compatible). With several
// index entries ref.tag selects the one whose ref.name equals it. ref.digest must be empty.
Result<PushResult> PushLayout(const std::filesystem::path& oci_dir, const Reference& ref, const PushOptions& opts);

}  // namespace kiln::registry
