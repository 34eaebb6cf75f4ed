// The QEMU command line for booting a disk image: one plain struct in, an argv out, so the
// exact invocation is unit-tested and printed in the log. Architecture specifics (binary,
// machine, CPU model, host arch for KVM) live in a small profile; x86_64 now, aarch64 ready.
// Used by the QEMU runner and the KVM probe.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "builder/vm/ovmf_firmware.h"
#include "builder/common/result.h"

namespace kiln::vm {

enum class Accel { kKvm, kTcg };
const char* AccelName(Accel a);

struct ArchProfile {
  std::string arch;          // "x86_64", "aarch64"
  std::string qemu_binary;   // "qemu-system-x86_64"
  std::string machine;       // "q35", "virt"
  std::string cpu_tcg;       // CPU model under TCG
  std::string host_machine;  // uname -m of hosts that can use KVM for this arch
};

// kInput error for an unknown architecture.
Result<ArchProfile> ProfileFor(const std::string& arch);
// The host's architecture as kiln names it ("x86_64", "aarch64").
std::string HostArch();

// qcow2 by its magic "QFI\xfb", vmdk by "KDMV", raw otherwise. A file named *.qcow2 that is
// not qcow2 is a kInput error (a truncated or misnamed image would boot as garbage).
Result<std::string> DetectDiskFormat(const std::filesystem::path& image);

struct QemuCommand {
  ArchProfile profile;
  Accel accel = Accel::kTcg;
  std::filesystem::path firmware_code;
  std::filesystem::path firmware_vars;   // the private writable copy
  std::filesystem::path disk;            // empty: no disk (the KVM probe)
  std::string disk_format = "raw";
  bool snapshot = false;                 // writes go to a temporary overlay, the image is untouched
  unsigned memory_mib = 1024;
  unsigned cpus = 2;
  bool no_reboot = false;                // a guest reboot ends QEMU instead
  std::filesystem::path qmp_socket;      // empty: no QMP
  std::vector<std::string> extra_args;   // appended verbatim (--qemu-arg)
};

// The full argv; argv[0] is the binary name (looked up in PATH). The serial console is QEMU's
// stdout (chardev stdio); no display, no default devices.
std::vector<std::string> BuildQemuArgv(const QemuCommand& c);

// Quotes an argv for a log line ("qemu-system-x86_64 -machine q35 ...").
std::string QuoteArgv(const std::vector<std::string>& argv);

}  // namespace kiln::vm
