// The OVA: a USTAR tar in the order DSP0243 requires: the .ovf descriptor first, the .mf
// manifest (SHA256 lines) right after it, then the files in References order (one
// streamOptimized VMDK). Fixed owners, modes and mtimes (SOURCE_DATE_EPOCH).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "builder/common/result.h"
#include "builder/vmformats/vm_formats.h"

namespace kiln::vmformats {

// Entry names inside NAME_VERSION.ova, in archive order.
struct OvaNames {
  std::string descriptor, manifest, disk;
};
OvaNames OvaEntryNames(const std::string& base);

// The .mf text: "SHA256(file)= hex" per (name, hex digest), in the given order.
std::string MakeOvfManifest(const std::vector<std::pair<std::string, std::string>>& digests);

Status WriteOva(const std::filesystem::path& raw, const std::filesystem::path& out, const VmFormatInputs& inputs);

// Where the VMDK entry's bytes are inside an OVA (for reading it in place with qemu-img),
// after checking the archive order and the .mf digests.
struct OvaDiskExtent {
  std::uint64_t offset = 0, size = 0;
};
Result<OvaDiskExtent> CheckOva(const std::filesystem::path& ova);

}  // namespace kiln::vmformats
