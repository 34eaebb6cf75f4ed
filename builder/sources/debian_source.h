// `base.type = "debian"`: a Debian or Ubuntu root built from packages by mmdebstrap, without
// root privileges, as a tarball that kiln imports into its file tree (tar headers carry the
// ownership, so the builder's own uid never leaks in).
//
// How mmdebstrap runs (PickMmdebstrapMode):
//  - as root: --mode=root;
//  - as a user with /etc/subuid and /etc/subgid ranges, newuidmap and user namespaces:
//    --mode=unshare (bit-identical to root mode);
//  - otherwise: --mode=fakechroot (needs the fakechroot and fakeroot packages).
//  KILN_MMDEBSTRAP_MODE=root|unshare|fakechroot in the environment forces a mode.
// Reproducibility: SOURCE_DATE_EPOCH is passed on (mmdebstrap then clamps times and drops its
// own nondeterministic files), and customize hooks drop the host's /etc/hostname and
// /etc/resolv.conf. With a lock file every package is pinned (`name=version` plus an apt
// preferences pin for the essential phase) and every downloaded .deb's sha256 is checked
// against the lock before the tree is used; the resolved tarball is cached (base_tree_cache).
// With an input archive (ctx.inputs, debian_archived_inputs.h) the .debs and apt's indices are
// synced out of the chroot to be captured, or staged into it from the archive instead of the
// network (then the base-tree cache is bypassed: a cached tree has no .debs).
// Used by the pipeline (build) and by the CLI (`kiln lock`).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "builder/common/build_context.h"
#include "builder/common/result.h"
#include "builder/sources/debian_base_spec.h"
#include "builder/sources/lock_file.h"
#include "builder/sources/source_identity.h"
#include "builder/tree/content_store.h"
#include "builder/tree/file_tree.h"

namespace kiln::sources {

enum class MmdebstrapMode { kRoot, kUnshare, kFakechroot };
const char* MmdebstrapModeName(MmdebstrapMode mode);  // "root", "unshare", "fakechroot"

// Chooses the mode as described above; kBuild error naming what to install when no
// unprivileged mode is possible.
Result<MmdebstrapMode> PickMmdebstrapMode();

struct DebianBase {
  std::filesystem::path tarball;    // the root as a tar (in the cache when locked)
  std::vector<InputRecord> inputs;  // "debian-lock" + one "deb" per locked package,
                                    // or "debian-suite" for an unlocked build
  bool from_cache = false;          // true when mmdebstrap did not run
};

// Produces the base tarball. lock_path empty: unlocked (latest packages, not cached, the
// manifest records the suite and mirror only). Otherwise the lock must exist and match the
// recipe (CheckLockMatchesRecipe). ctx.work_dir holds mmdebstrap's scratch files.
Result<DebianBase> ResolveDebianBase(const DebianBaseSpec& spec, const BuildContext& ctx,
                                     const std::filesystem::path& lock_path);

// The base-tree cache key ResolveDebianBase looks up for a locked base (lock_bytes: the lock
// file's bytes). The registry build cache (--cache-from/--cache-to) uses it to find entries.
std::string DebianBaseTreeKey(const DebianBaseSpec& spec, std::string_view lock_bytes);

// ResolveDebianBase, then tree::ImportTarball with origin "base".
Result<std::vector<InputRecord>> ImportDebianBase(const DebianBaseSpec& spec,
                                                  const BuildContext& ctx,
                                                  const std::filesystem::path& lock_path,
                                                  tree::FileTree& tree, tree::ContentStore& store);

// `kiln lock`: resolves the recipe's package set with one mmdebstrap run (output discarded)
// and writes the lock file atomically.
Status WriteLockFile(const DebianBaseSpec& spec, const BuildContext& ctx,
                     const std::filesystem::path& lock_path);

// --- pieces exposed for tests ---

// The list the customize hook writes: "name\tversion\tarch\tsha256" per .deb.
Result<std::vector<LockedPackage>> ParseDebDigestList(std::string_view text);

// Every downloaded .deb must be locked with the same version and digest, and every locked
// package must have been downloaded. kIntegrity (digest) or kInput (missing/extra) errors
// name the package.
Status CheckDownloadsAgainstLock(const LockFile& lock, const std::vector<LockedPackage>& downloaded,
                                 const std::string& lock_name);

// Turns apt's "Version 'V' for 'P' was not found" / "Unable to locate package P" in
// mmdebstrap's stderr into a clear kiln message; empty when none matched.
std::string ExplainAptFailure(std::string_view stderr_text, const std::string& mirror);

}  // namespace kiln::sources
