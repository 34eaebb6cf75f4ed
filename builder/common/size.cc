#include "builder/common/size.h"

#include <cstdio>
#include <limits>

namespace kiln {

Result<std::uint64_t> ParseSize(std::string_view text) {
  auto bad = [&] {
    return MakeError(ErrorCode::kRecipe, "invalid size '" + std::string(text) +
                                             "' (expected a number with an optional K, M, G or T suffix)");
  };
  std::size_t i = 0;
  std::uint64_t value = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    std::uint64_t digit = static_cast<std::uint64_t>(text[i] - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return bad();
    value = value * 10 + digit;
    ++i;
  }
  if (i == 0) return bad();
  std::string_view suffix = text.substr(i);
  int shift = 0;
  if (!suffix.empty()) {
    switch (suffix[0]) {
      case 'K': case 'k': shift = 10; break;
      case 'M': case 'm': shift = 20; break;
      case 'G': case 'g': shift = 30; break;
      case 'T': case 't': shift = 40; break;
      case 'B': case 'b': if (suffix.size() == 1) break; return bad();
      default: return bad();
    }
    std::string_view rest = suffix.substr(1);
    if (shift && !(rest.empty() || rest == "B" || rest == "iB")) return bad();
  }
  if (shift && value > (std::numeric_limits<std::uint64_t>::max() >> shift)) return bad();
  return value << shift;
}

std::string FormatSize(std::uint64_t bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0) std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  else std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[u]);
  return buf;
}

}  // namespace kiln
