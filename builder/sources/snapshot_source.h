// Snapshot-pinned Debian sources: with a snapshot timestamp (recipe `[base] snapshot` or the
// lock file's `snapshot`), every package comes from the archive as it was at that time, under
// the URL scheme of Debian's snapshot service:
//
//   <mirror base>/archive/<archive>/<YYYYMMDDTHHMMSSZ>/dists/<suite>/...
//
// The archive is the last path segment of the recipe's `mirror` ("http://deb.debian.org/debian"
// -> "debian", "http://security.debian.org/debian-security" -> "debian-security"; the
// -updates suites live in "debian"). The mirror base is `[base] snapshot_mirror` (default
// https://snapshot.debian.org), overridden by KILN_SNAPSHOT_MIRROR in the environment (private
// mirrors, loopback tests); it is not part of the lock, the cache keys or the manifest, because
// the lock's digests pin the content wherever it comes from. A snapshot's Release files of
// -updates/-security carry a Valid-Until long past, so validity checking is off for the
// snapshot source only (apt's `check-valid-until=no` source option).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "builder/common/debian_snapshot.h"
#include "builder/common/result.h"
#include "builder/sources/debian_base_spec.h"

namespace kiln::sources {

inline constexpr const char* kSnapshotMirrorEnv = "KILN_SNAPSHOT_MIRROR";

// The snapshot archive a mirror URL names: its last path segment, [a-z0-9.+-]+. kRecipe error
// when the mirror has no such segment (a one-line "deb ..." mirror, a bare host).
Result<std::string> SnapshotArchiveName(std::string_view mirror);

// "<base>/archive/<archive>/<timestamp>/" (a trailing '/' of base is dropped).
std::string SnapshotArchiveUrl(std::string_view base, std::string_view archive, std::string_view timestamp);

// The mirror base in effect: env_value (KILN_SNAPSHOT_MIRROR) when set and non-empty, else the
// spec's snapshot_mirror. kUsage error for an invalid environment value.
Result<std::string> EffectiveSnapshotMirror(const DebianBaseSpec& spec, const char* env_value);

// What mmdebstrap gets as its mirror argument: without a snapshot the recipe's mirror as
// today; with one, the one-line source
//   "deb [check-valid-until=no] <snapshot archive URL> <suite> <component>..."
Result<std::string> AptSourceFor(const DebianBaseSpec& spec, std::string_view snapshot,
                                 std::string_view mirror_base);

// The snapshot `kiln lock` resolves against. requested: the --snapshot value (nullopt: option
// not given; "" or "now": the current time `now_unix` rounded down to the hour). Without
// --snapshot, the recipe's snapshot (maybe empty: an unpinned lock, as before). kUsage error for
// an invalid timestamp, or one that disagrees with the recipe's [base] snapshot.
Result<std::string> LockSnapshot(const std::string& recipe_snapshot, const std::optional<std::string>& requested,
                                 std::int64_t now_unix);

}  // namespace kiln::sources
