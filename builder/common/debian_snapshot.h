// The values that name a Debian archive snapshot: a point in time in the form Debian's snapshot
// service uses in its URLs, "YYYYMMDDTHHMMSSZ" (UTC, e.g. "20240101T000000Z"), and the base URL
// of a snapshot service. Recipes ([base] snapshot, snapshot_mirror) and lock files carry them;
// the sources stage (snapshot_source.h) turns them into a snapshot archive URL.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kiln {

// Debian's snapshot service: the default base URL (recipe `[base] snapshot_mirror`).
inline constexpr const char* kDefaultSnapshotMirror = "https://snapshot.debian.org";

// True for exactly 16 characters "YYYYMMDDTHHMMSSZ" naming a real UTC calendar time
// (month 01-12, a day that exists in that month, hour 00-23, minute and second 00-59;
// year 1970 or later).
bool IsSnapshotTimestamp(std::string_view text);

// Seconds since the Unix epoch (>= 0) as "YYYYMMDDTHHMMSSZ".
std::string FormatSnapshotTimestamp(std::int64_t unix_seconds);

// A snapshot service base URL must be http://, https:// or file:// with something after the
// scheme, and hold no whitespace, quotes, brackets, backslashes or control characters (it
// becomes part of an apt source line). Empty when valid, else why not.
std::string SnapshotMirrorProblem(std::string_view base);

}  // namespace kiln
