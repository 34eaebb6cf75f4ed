// Timestamps as text, from seconds since the epoch (UTC; never the local zone or the clock).
#pragma once

#include <cstdint>
#include <string>

namespace kiln {

// "2023-11-14T22:13:20Z" (RFC 3339); "1970-01-01T00:00:00Z" when the time cannot be represented.
std::string FormatRfc3339(std::int64_t epoch);
// "2023-11-14 22:13:20": the absolute time `faketime -f` takes (with TZ=UTC);
// "1970-01-01 00:00:00" when the time cannot be represented.
std::string FormatUtcDateTime(std::int64_t epoch);

}  // namespace kiln
