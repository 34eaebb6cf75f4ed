// Human sizes in recipes and flags: "4096", "128K", "256M", "2G", "1T" (powers of 1024;
// a trailing "iB" or "B" is accepted: "256MiB").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "builder/common/result.h"

namespace kiln {

Result<std::uint64_t> ParseSize(std::string_view text);
std::string FormatSize(std::uint64_t bytes);  // "1.5 MiB"
constexpr std::uint64_t AlignUp(std::uint64_t v, std::uint64_t a) { return (v + a - 1) / a * a; }

}  // namespace kiln
