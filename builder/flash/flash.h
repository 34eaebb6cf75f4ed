// `kiln flash`: writes a raw disk image to a block device or a file through its block map
// (only mapped blocks are written), reads every mapped range back (O_DIRECT on block devices,
// so the page cache cannot answer) and checks it against the map's SHA-256, then rewrites the
// image's GPT whole (its zero, unmapped entry blocks would keep a used device's stale bytes)
// with the backup at the end of a larger target, so the data partition can grow on first boot.
// Refuses a target that is mounted or in use (target_check.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "builder/common/build_context.h"
#include "builder/common/result.h"

namespace kiln::flash {

struct FlashRequest {
  std::filesystem::path image;   // raw disk image
  std::filesystem::path bmap;    // block map; empty: IMAGE's NAME.bmap sibling, else computed from the image
  std::filesystem::path target;  // block device or file (created when missing)
};

struct FlashResult {
  std::uint64_t image_size = 0;
  std::uint64_t target_size = 0;
  std::uint64_t mapped_bytes = 0;  // written and verified
  std::uint64_t ranges = 0;
  std::string bmap_source;         // the bmap file used, or "computed"
  bool gpt_moved = false;          // the backup GPT now ends the larger target
  bool block_device = false;
};

// Progress goes to report (stages "flash" and "verify", done/total in bytes).
Result<FlashResult> Flash(const FlashRequest& request, const std::function<void(const Event&)>& report);

// The target's size: a block device's capacity, or a regular file's size (0 when missing).
Result<std::uint64_t> TargetSize(const std::filesystem::path& target);

}  // namespace kiln::flash
