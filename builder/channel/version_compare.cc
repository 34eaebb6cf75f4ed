#include "builder/channel/version_compare.h"

#include <algorithm>
#include <cstddef>

namespace kiln::channel {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsVersionChar(char c) { return IsDigit(c) || IsAlpha(c) || c == '~' || c == '-' || c == '^' || c == '.'; }

int Sign(std::ptrdiff_t v) { return (v > 0) - (v < 0); }
int Cmp(bool a, bool b) { return static_cast<int>(a) - static_cast<int>(b); }

// A cursor over a string_view where reading past the end yields '\0', as the C original
// reads its terminator.
struct Cursor {
  std::string_view s;
  std::size_t i = 0;
  char at(std::size_t k = 0) const { return i + k < s.size() ? s[i + k] : '\0'; }
  bool end() const { return i >= s.size(); }
};

// Skips a prefix character c in both strings when either has it; returns the order when only
// one of them has it (the one without it is newer), 0 otherwise.
int Prefix(Cursor& a, Cursor& b, char c) {
  if (a.at() != c && b.at() != c) return 0;
  if (int r = Cmp(a.at() != c, b.at() != c); r != 0) return r;
  ++a.i;
  ++b.i;
  return 0;
}

}  // namespace

int CompareVersions(std::string_view as, std::string_view bs) {
  Cursor a{as}, b{bs};
  for (;;) {
    // An embedded NUL ends the string, as it would in C.
    while (!a.end() && a.at() != '\0' && !IsVersionChar(a.at())) ++a.i;
    while (!b.end() && b.at() != '\0' && !IsVersionChar(b.at())) ++b.i;

    if (int r = Prefix(a, b, '~'); r != 0) return r;
    // More segments is newer, except for '~' (checked above).
    if (a.at() == '\0' || b.at() == '\0') return Cmp(a.at() != '\0', b.at() != '\0');
    if (int r = Prefix(a, b, '-'); r != 0) return r;
    if (int r = Prefix(a, b, '^'); r != 0) return r;
    if (int r = Prefix(a, b, '.'); r != 0) return r;

    std::size_t aa = a.i, bb = b.i;
    if (IsDigit(a.at()) || IsDigit(b.at())) {
      while (IsDigit(Cursor{as, aa}.at())) ++aa;
      while (IsDigit(Cursor{bs, bb}.at())) ++bb;
      // A numeric segment is newer than a missing one.
      if (int r = Cmp(aa != a.i, bb != b.i); r != 0) return r;
      while (a.at() == '0') ++a.i;
      while (b.at() == '0') ++b.i;
      // Longer (without leading zeros) is larger; equal lengths compare as text.
      if (int r = Sign(static_cast<std::ptrdiff_t>(aa - a.i) - static_cast<std::ptrdiff_t>(bb - b.i)); r != 0)
        return r;
      if (int r = Sign(as.substr(a.i, aa - a.i).compare(bs.substr(b.i, bb - b.i))); r != 0) return r;
    } else {
      while (IsAlpha(Cursor{as, aa}.at())) ++aa;
      while (IsAlpha(Cursor{bs, bb}.at())) ++bb;
      std::size_t n = std::min(aa - a.i, bb - b.i);
      if (int r = Sign(as.substr(a.i, n).compare(bs.substr(b.i, n))); r != 0) return r;
      // Longer is newer ("abc" < "abcde").
      if (int r = Sign(static_cast<std::ptrdiff_t>(aa - a.i) - static_cast<std::ptrdiff_t>(bb - b.i)); r != 0)
        return r;
    }
    a.i = aa;
    b.i = bb;
  }
}

}  // namespace kiln::channel
