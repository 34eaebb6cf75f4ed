// /usr/lib/kiln/release.json, the build identity kiln bakes into an updatable image
// (docs/updates.md): which image and version is running and where its channel is. The agent
// reads the fields it needs and ignores the rest, so later schema additions keep working.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "builder/common/result.h"

namespace kiln::update_agent {

inline constexpr std::string_view kReleaseSchema = "kiln.release.v1";
inline constexpr std::size_t kMaxReleaseSize = 64 * 1024;

struct ReleaseInfo {
  std::string image;
  std::string version;
  std::string architecture;  // "x86-64", "arm64"
  std::string channel;       // URL of the channel directory
  int tries = 3;             // boot attempts of a new version, 1..15
};

// Bounded, non-throwing; kInput naming the field that is missing or of the wrong type.
Result<ReleaseInfo> ParseReleaseInfo(std::string_view json);

}  // namespace kiln::update_agent
