// Unified Kernel Image: the systemd-stub EFI program with the kernel, initrd, command line,
// os-release and kernel release added as PE sections, so one signed file carries everything
// that decides what boots - including the dm-verity root hash on the command line.
// Sections are added with binutils' objcopy (the stub is a PE file that objcopy edits well;
// nothing in kiln needs its own PE writer). Section addresses are computed from the stub's own
// size, in the order ukify uses, .linux last.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "builder/common/result.h"

namespace kiln::bootloader {

struct UkiInputs {
  std::filesystem::path stub;
  std::filesystem::path kernel;
  std::filesystem::path initrd;
  std::string os_release;   // .osrel contents
  std::string cmdline;      // .cmdline contents (no trailing newline)
  std::string uname;        // .uname contents (kernel release)
};

struct PeImageInfo {
  std::uint64_t image_base = 0;
  std::uint32_t size_of_image = 0;
  std::uint32_t section_alignment = 0;
};

// Reads the optional header of a PE32+ file; errors name the file.
Result<PeImageInfo> ReadPeImageInfo(const std::filesystem::path& pe);

struct UkiSection {
  std::string name;                 // ".osrel"
  std::filesystem::path contents;   // file holding the bytes
  std::uint64_t size = 0;
  std::uint64_t vma = 0;            // absolute: image base + RVA
};

// Places sections one after another from the end of the stub's image, each aligned to 4 KiB.
std::vector<UkiSection> PlaceSections(const PeImageInfo& stub, std::vector<UkiSection> sections);

// Writes the UKI to out (through a temporary name). work_dir holds the small section files.
Status BuildUki(const UkiInputs& in, const std::filesystem::path& work_dir, const std::filesystem::path& out);

}  // namespace kiln::bootloader
