// Input archives as OCI artifacts, so a release's inputs live in the registry beside its
// images. `kiln push --archive DIR REF` pushes an OCI image manifest with
//   artifactType = config.mediaType = application/vnd.kiln.input-archive.v1+json
//   config = the archive's index.json (its digest is the index digest the build recorded)
//   layers = every blob, titled by its hex digest, media type application/octet-stream
// Blob digests are the layer digests, so a registry stores a .deb shared by two releases once.
// `kiln pull REF DIR` fetches the index (bounded) and every layer, checks each title is its own
// digest and the layers are exactly the index's blobs, and swaps the archive into DIR.
#pragma once

#include <filesystem>
#include <string>

#include "builder/common/result.h"
#include "builder/registry/pull.h"
#include "builder/registry/push.h"
#include "builder/registry/reference.h"

namespace kiln::input_archive {

inline constexpr const char* kBlobMediaType = "application/octet-stream";

// Checks the archive (index and every blob's digest) and pushes it; the tag is ref.tag
// (kUsage when empty or when ref names a digest).
Result<registry::PushResult> PushInputArchive(const std::filesystem::path& dir, const registry::Reference& ref,
                                              const registry::PushOptions& opts);

struct ArchivePullResult {
  std::string manifest_digest;
  std::string index_digest;  // "sha256:<hex>" of index.json
  std::size_t blobs = 0;
};

// Fetches an input archive artifact into dir (new or empty). kInput when ref is not one.
Result<ArchivePullResult> PullInputArchive(const registry::Reference& ref, const std::filesystem::path& dir,
                                           const registry::PullOptions& opts);

}  // namespace kiln::input_archive
