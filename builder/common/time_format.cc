#include "builder/common/time_format.h"

#include <cstdio>
#include <ctime>

namespace kiln {
namespace {

// The UTC date and time (gmtime_r: no locale, no TZ) joined by `separator`, then `suffix`.
// A time gmtime_r cannot represent reads as the epoch.
std::string FormatUtc(std::int64_t epoch, char separator, const char* suffix) {
  const std::time_t t = static_cast<std::time_t>(epoch);
  std::tm tm{};
  if (!gmtime_r(&t, &tm)) return FormatUtc(0, separator, suffix);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d%c%02d:%02d:%02d%s", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                separator, tm.tm_hour, tm.tm_min, tm.tm_sec, suffix);
  return buf;
}

}  // namespace

std::string FormatRfc3339(std::int64_t epoch) { return FormatUtc(epoch, 'T', "Z"); }

std::string FormatUtcDateTime(std::int64_t epoch) { return FormatUtc(epoch, ' ', ""); }

}  // namespace kiln
