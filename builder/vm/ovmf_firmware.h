// UEFI firmware for the boot VM: the read-only code image and a private, writable copy of the
// matching variable store for each run, so boot entries a guest writes never leak into the
// next run or into the system's template. x86_64 uses Debian's ovmf package, aarch64 (later)
// Debian's qemu-efi-aarch64 (AAVMF). Used by the QEMU runner.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "builder/common/result.h"

namespace kiln::vm {

struct FirmwarePair {
  std::filesystem::path code;  // read-only pflash unit 0
  std::filesystem::path vars;  // template for the writable pflash unit 1
};

// Candidate pairs for an architecture ("x86_64", "aarch64"), best first.
std::vector<FirmwarePair> FirmwareCandidates(const std::string& arch);

// The first candidate whose two files exist; kInput error listing what was tried (and which
// package provides them) otherwise. A non-empty `code_override` (with its `vars_override`)
// is used as given.
Result<FirmwarePair> FindFirmware(const std::string& arch, const std::filesystem::path& code_override = {},
                                  const std::filesystem::path& vars_override = {});

// Copies the vars template to dir/NAME (mode 0600) and returns the copy's path.
Result<std::filesystem::path> CopyFirmwareVars(const FirmwarePair& fw, const std::filesystem::path& dir);

}  // namespace kiln::vm
