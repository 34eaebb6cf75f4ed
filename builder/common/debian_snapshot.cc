#include "builder/common/debian_snapshot.h"

#include <cstdio>

namespace kiln {

namespace {

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// The decimal number in text[pos, pos + n); -1 when a character is not a digit.
int Digits(std::string_view text, std::size_t pos, std::size_t n) {
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    v = v * 10 + (text[i] - '0');
  }
  return v;
}

}  // namespace

bool IsSnapshotTimestamp(std::string_view t) {
  if (t.size() != 16 || t[8] != 'T' || t[15] != 'Z') return false;
  const int year = Digits(t, 0, 4), month = Digits(t, 4, 2), day = Digits(t, 6, 2);
  const int hour = Digits(t, 9, 2), minute = Digits(t, 11, 2), second = Digits(t, 13, 2);
  if (year < 1970 || month < 1 || month > 12 || day < 1 || hour < 0 || minute < 0 || second < 0)
    return false;
  return day <= DaysInMonth(year, month) && hour <= 23 && minute <= 59 && second <= 59;
}

std::string FormatSnapshotTimestamp(std::int64_t unix_seconds) {
  if (unix_seconds < 0) unix_seconds = 0;
  std::int64_t days = unix_seconds / 86400;
  const std::int64_t rest = unix_seconds % 86400;
  // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm): no gmtime, no locale.
  days += 719468;
  const std::int64_t era = days / 146097;
  const std::int64_t doe = days - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  char buf[128];
  std::snprintf(buf, sizeof buf, "%04lld%02lld%02lldT%02lld%02lld%02lldZ", static_cast<long long>(y),
                static_cast<long long>(m), static_cast<long long>(d), static_cast<long long>(rest / 3600),
                static_cast<long long>(rest % 3600 / 60), static_cast<long long>(rest % 60));
  return buf;
}

std::string SnapshotMirrorProblem(std::string_view base) {
  std::string_view rest;
  for (std::string_view scheme : {"http://", "https://", "file://"})
    if (base.substr(0, scheme.size()) == scheme) rest = base.substr(scheme.size());
  if (rest.empty()) return "expected an http://, https:// or file:// URL";
  for (char c : base) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '"' || c == '\'' || c == '[' || c == ']' || c == '\\')
      return "must not contain spaces, quotes, brackets or control characters";
  }
  return "";
}

}  // namespace kiln
