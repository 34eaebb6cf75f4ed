// Where `kiln pull` writes: never over a user's files. A pull is staged in a temporary
// directory beside the target and swapped into place only when complete (a failed pull leaves
// nothing behind). An existing non-empty target is refused unless `force`, and even then only
// when everything in it is something kiln wrote: an OCI layout (oci-layout, index.json,
// blobs/sha256/<hex>) or the files of an earlier disk-image pull (SHA256SUMS and the files it
// lists). Used by pull.cc and disk_artifact.cc.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "builder/common/files.h"
#include "builder/common/result.h"

namespace kiln::registry {

enum class PullKind { kOciLayout, kDiskFiles };

// kUsage when target cannot be replaced (not a directory, or not empty without force, or with
// files kiln did not write); checked before anything is fetched and again before the swap.
Status CheckPullTarget(const std::filesystem::path& target, PullKind kind, bool force);

// A fresh staging directory beside target (same file system, so the final rename is atomic).
Result<TempDir> CreatePullStaging(const std::filesystem::path& target);

// Puts staging in target's place (an atomic exchange when target exists, whose old content,
// all kiln's, is then removed).
Status PublishPull(TempDir& staging, const std::filesystem::path& target, PullKind kind, bool force);

}  // namespace kiln::registry
