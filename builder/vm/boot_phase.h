// Where a boot has got to, read from its serial console: the firmware, the Linux kernel, the
// initrd, then the real root's userspace. kiln boot reports each phase once, with the seconds
// since QEMU started, so a slow boot under TCG shows progress. The default target itself is
// the runner's "ready" (qemu_console.h). Phases only move forward; one that prints nothing
// (a kernel booted with "quiet") is skipped.
#pragma once

#include <optional>
#include <string_view>

namespace kiln::vm {

enum class BootPhase { kNone, kFirmware, kKernel, kInitrd, kUserspace };

// "firmware", "kernel", "initrd", "userspace".
const char* BootPhaseName(BootPhase p);
// One line for people: "the kernel is starting".
const char* BootPhaseDescription(BootPhase p);

class BootPhaseTracker {
 public:
  // A cleaned console line (CleanConsoleLine); the phase it starts, if it starts a later one.
  std::optional<BootPhase> Feed(std::string_view line);
  BootPhase current() const { return current_; }

 private:
  BootPhase current_ = BootPhase::kNone;
};

}  // namespace kiln::vm
