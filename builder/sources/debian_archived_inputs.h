// What a locked Debian base reads from the network, captured for an input archive and staged
// again from one (InputHooks, builder/input_archive): every .deb mmdebstrap downloaded (kind
// "deb", named by its package URL like the manifest's records) and the apt indices the
// resolution used (kind "apt-list", named by apt's file name in /var/lib/apt/lists). With
// both staged in the chroot before apt runs and `apt-get update` skipped, mmdebstrap installs
// the locked packages without any network access; the digest hook still checks every .deb
// against the lock.
#pragma once

#include <filesystem>

#include "builder/common/build_context.h"
#include "builder/common/result.h"
#include "builder/sources/lock_file.h"

namespace kiln::sources {

// Subdirectories of the exchange directory mmdebstrap's sync-in/sync-out hooks use.
inline constexpr const char* kArchivedDebsDir = "debs";
inline constexpr const char* kArchivedListsDir = "lists";

// After mmdebstrap synced /var/cache/apt/archives and /var/lib/apt/lists out into dir: captures
// each locked package's .deb (matched by digest; kInput when one is missing) and every index.
Status CaptureDebianInputs(const LockFile& lock, const std::filesystem::path& dir, const BuildContext& ctx);

// Before mmdebstrap: writes every locked .deb under apt's own file name and every archived
// index into dir's two subdirectories, each verified by the supplier.
Status StageDebianInputs(const LockFile& lock, const std::filesystem::path& dir, const BuildContext& ctx);

// apt's name for a package's file in /var/cache/apt/archives ("libc6_2.36-9%3a1_amd64.deb");
// kInput when the lock's fields would not make a plain file name.
Result<std::string> AptArchiveFileName(const LockedPackage& p);

}  // namespace kiln::sources
