#include "builder/vm/ovmf_firmware.h"

#include <sys/stat.h>

namespace kiln::vm {

namespace fs = std::filesystem;

std::vector<FirmwarePair> FirmwareCandidates(const std::string& arch) {
  if (arch == "x86_64") {
    // The 4 MiB build is Debian's default since bookworm; the 2 MiB one stays for older hosts.
    // Code and vars of one build must go together: their flash layouts differ.
    return {{"/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd"},
            {"/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd"},
            {"/usr/share/edk2/ovmf/OVMF_CODE.fd", "/usr/share/edk2/ovmf/OVMF_VARS.fd"}};
  }
  if (arch == "aarch64") {
    return {{"/usr/share/AAVMF/AAVMF_CODE.fd", "/usr/share/AAVMF/AAVMF_VARS.fd"}};
  }
  return {};
}

Result<FirmwarePair> FindFirmware(const std::string& arch, const fs::path& code_override,
                                  const fs::path& vars_override) {
  if (!code_override.empty()) {
    if (vars_override.empty())
      return MakeError(ErrorCode::kUsage, "a firmware code image needs its vars template too");
    for (const auto& p : {code_override, vars_override})
      if (!fs::is_regular_file(p)) return MakeError(ErrorCode::kInput, "firmware file " + p.string() + " not found");
    return FirmwarePair{code_override, vars_override};
  }
  std::string tried;
  for (const auto& c : FirmwareCandidates(arch)) {
    if (fs::is_regular_file(c.code) && fs::is_regular_file(c.vars)) return c;
    tried += (tried.empty() ? "" : ", ") + c.code.string();
  }
  std::string package = arch == "aarch64" ? "qemu-efi-aarch64" : "ovmf";
  return MakeError(ErrorCode::kInput, "no UEFI firmware for " + arch + " (tried " + tried +
                                          "); install Debian's " + package + " package");
}

Result<fs::path> CopyFirmwareVars(const FirmwarePair& fw, const fs::path& dir) {
  fs::path out = dir / fw.vars.filename();
  std::error_code ec;
  fs::copy_file(fw.vars, out, fs::copy_options::overwrite_existing, ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot copy firmware vars " + fw.vars.string() + ": " + ec.message());
  // Templates are root-owned 0644: QEMU opens the copy read-write.
  if (::chmod(out.c_str(), 0600) != 0)
    return MakeError(ErrorCode::kIo, "cannot make " + out.string() + " writable");
  return out;
}

}  // namespace kiln::vm
