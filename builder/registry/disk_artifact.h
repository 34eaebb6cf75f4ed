// Disk images as OCI artifacts, so VM templates live in the same registry as containers.
// `kiln push OUT REF` on a build output directory (one NAME_VERSION.manifest.json) pushes an
// OCI image manifest with
//   artifactType = config.mediaType = application/vnd.kiln.disk-image.v1+json
//   config = {"architecture","name","rootHash","version"} from the build manifest
//   layers = every top-level file SHA256SUMS lists, plus SHA256SUMS, sorted by name, each with
//            an org.opencontainers.image.title annotation and a media type for its kind
//            (artifacts::MediaTypeOf)
// (a real config rather than the OCI 1.1 empty one: `skopeo inspect --raw` and registries
// show what the image is without pulling the layers; docker-registry 2.8 accepts both).
// Files inside a subdirectory (an OCI layout beside the disk image) are not part of it: push
// that layout on its own. `kiln pull REF DIR` restores the files by title after checking
// every digest; `kiln verify DIR/NAME_VERSION.manifest.json --cert C` then works offline.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "builder/common/result.h"
#include "builder/registry/descriptor.h"
#include "builder/registry/pull.h"
#include "builder/registry/push.h"
#include "builder/registry/reference.h"

namespace kiln::registry {

inline constexpr const char* kDiskImageArtifactType = "application/vnd.kiln.disk-image.v1+json";

// The build output directory's one NAME_VERSION.manifest.json (kUsage when none or several).
Result<std::filesystem::path> FindBuildManifest(const std::filesystem::path& out_dir);

// Checks every file against SHA256SUMS and pushes the artifact. The tag is ref.tag or, when
// empty, the image version from the build manifest.
Result<PushResult> PushDiskImage(const std::filesystem::path& out_dir, const Reference& ref,
                                 const PushOptions& opts);

struct DiskPullResult {
  std::string manifest_digest;
  std::vector<std::string> files;  // titles restored into the directory
};

// Fetches a disk image artifact into dir. Files are fetched into a staging directory beside
// dir and swapped into place only after every digest checked (pull_target.h: an existing
// non-empty dir is refused unless opts.force and it holds only an earlier pull's files).
// kInput when ref is not a kiln disk image.
Result<DiskPullResult> PullDiskImage(const Reference& ref, const std::filesystem::path& dir,
                                     const PullOptions& opts);

// The raw disk image a disk artifact carries: its one layer titled NAME.raw and, when it was
// pushed beside it, the layer titled NAME.bmap (chosen by title, the name kiln wrote).
struct RawImageLayers {
  RemoteDescriptor raw;
  std::optional<RemoteDescriptor> bmap;
};
// kInput when the manifest has no .raw layer or several; titles are checked (CheckTitle).
Result<RawImageLayers> SelectRawImage(const nlohmann::json& manifest, const std::string& what);

struct FetchedRawImage {
  std::string manifest_digest;
  std::string raw_title, bmap_title;  // bmap_title empty: none was pushed
  std::filesystem::path raw, bmap;    // in dir; bmap empty when none was pushed
};
// Fetches only the raw image (and its block map) of the disk artifact ref names into dir, each
// checked against its digest and size while it streams. kInput when ref is not a kiln disk
// image; kUsage when the raw image would not fit in dir's file system (checked before fetching).
Result<FetchedRawImage> FetchRawImage(const Reference& ref, const std::filesystem::path& dir,
                                      const RegistryOptions& opts);

// The artifactType (else config media type) of the manifest ref names: lets `kiln pull`
// choose between an image layout and a disk image.
Result<std::string> RemoteArtifactType(const Reference& ref, const RegistryOptions& opts);

}  // namespace kiln::registry
