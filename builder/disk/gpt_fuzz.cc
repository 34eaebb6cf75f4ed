// libFuzzer harness: ReadGpt on a disk image made by others (verify, inspect, diff). The input
// is the start of the disk; it is zero-padded to the smallest disk a GPT fits on, so the
// backup header sits in the last sector of the input or of the padding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "builder/common/fuzz_input.h"
#include "builder/disk/gpt.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kiln::disk;
  constexpr std::size_t kMinDisk = (kGptFirstUsableLba + kGptBackupSectors + 1) * kSectorSize;
  kiln::fuzz::MemoryFile disk(data, size, kMinDisk);
  std::string note;
  auto layout = ReadGpt(disk.fd(), &note);
  if (layout.ok()) {
    for (const Partition& p : layout->partitions) {
      if (p.end() < p.offset) __builtin_trap();  // ReadGpt promises in-disk ranges
      (void)AttributeNames(p.attributes);
    }
  }
  return 0;
}
