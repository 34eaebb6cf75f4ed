// Which accelerator kiln boot uses. KVM only when it really works: /dev/kvm may exist and
// open while QEMU still fails under it (nested virtualisation without the CPU features OVMF
// needs ends in "KVM internal error"), so a short probe boots the firmware under KVM and must
// see console output within seconds. The answer is cached for the process. KILN_QEMU_ACCEL=
// kvm|tcg overrides the choice. Used by the QEMU runner.
#pragma once

#include <string>

#include "builder/vm/ovmf_firmware.h"
#include "builder/vm/qemu_command.h"
#include "builder/common/result.h"

namespace kiln::vm {

struct AccelChoice {
  Accel accel = Accel::kTcg;
  std::string note;  // "kvm works", "KILN_QEMU_ACCEL=tcg", "KVM probe failed: ..."
};

// `requested`: "auto", "kvm" or "tcg" (a kUsage error otherwise, also for a bad
// $KILN_QEMU_ACCEL). Only "auto" probes.
Result<AccelChoice> ChooseAccel(const std::string& requested, const ArchProfile& profile, const FirmwarePair& firmware);

// The probe itself (uncached): true when QEMU under KVM runs the firmware; `why` says what
// happened otherwise.
bool ProbeKvm(const ArchProfile& profile, const FirmwarePair& firmware, std::string* why);

}  // namespace kiln::vm
