// libFuzzer harness: the dm-verity superblock decoder that verify and inspect run on hash
// partitions of images made by others.
#include <cstddef>
#include <cstdint>
#include <span>

#include "builder/verity/verity_format.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto sb = kiln::verity::DecodeSuperblock(std::span<const std::uint8_t>(data, size));
  if (sb.ok()) {
    // What decodes must encode back to the same superblock.
    std::string again = kiln::verity::EncodeSuperblock(*sb);
    auto round = kiln::verity::DecodeSuperblock(
        std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(again.data()), again.size()));
    if (!round.ok() || !(*round == *sb)) __builtin_trap();
  }
  return 0;
}
