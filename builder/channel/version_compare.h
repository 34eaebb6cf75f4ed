// Version ordering of a release channel: the order systemd-boot sorts boot entries in
// (systemd's strverscmp_improved), so "newer" means the same thing to `kiln publish`, to the
// agent choosing what to install and to the loader choosing what to boot.
#pragma once

#include <string_view>

namespace kiln::channel {

// <0 when a is older than b, 0 when they are equivalent, >0 when a is newer.
// Segments are runs of digits (compared numerically, leading zeros ignored) or of ASCII
// letters; '~' marks a pre-release (older than nothing), '-' the release part, '^' a patch
// release and '.' a point release. Other characters only separate segments.
int CompareVersions(std::string_view a, std::string_view b);

}  // namespace kiln::channel
