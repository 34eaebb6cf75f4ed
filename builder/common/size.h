// Human sizes in recipes and flags: "4096", "128K", "256M", "2G", "1T" (powers of 1024;
// a trailing "iB" or "B" is accepted: "256MiB").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "builder/common/result.h"

namespace kiln {

Result<std::uint64_t> ParseSize(std::string_view text);
std::string FormatSize(std::uint64_t bytes);  // "1.5 MiB"
// The largest partition, file system or disk size kiln accepts (1 PiB): far above any image,
// and low enough that a handful of them plus 1 MiB alignment never wraps 64 bits or off_t.
inline constexpr std::uint64_t kMaxSize = std::uint64_t{1} << 50;
inline constexpr const char* kMaxSizeText = "1024T (1 PiB)";

// a + b and v rounded up to a multiple of a (a > 0), or nullopt when the result wraps.
constexpr std::optional<std::uint64_t> CheckedAdd(std::uint64_t a, std::uint64_t b) {
  if (a > UINT64_MAX - b) return std::nullopt;
  return a + b;
}
constexpr std::optional<std::uint64_t> CheckedAlignUp(std::uint64_t v, std::uint64_t a) {
  std::optional<std::uint64_t> sum = CheckedAdd(v, a - 1);
  if (!sum) return std::nullopt;
  return *sum / a * a;
}
// Unchecked: only for values already bounded (by kMaxSize or a file's size).
constexpr std::uint64_t AlignUp(std::uint64_t v, std::uint64_t a) { return (v + a - 1) / a * a; }

}  // namespace kiln
