#include "builder/vm/boot_phase.h"

namespace kiln::vm {
namespace {

bool Has(std::string_view line, std::string_view what) { return line.find(what) != std::string_view::npos; }

BootPhase PhaseOf(std::string_view line) {
  // After switch-root (dracut's systemd, or /sbin/init started straight from the kernel).
  if (Has(line, "Switching root") || Has(line, "Run /sbin/init as init process") ||
      (Has(line, "Welcome to ") && !Has(line, "Initrd") && !Has(line, "initrd")))
    return BootPhase::kUserspace;
  if (Has(line, "Run /init as init process") || Has(line, "Welcome to ") || Has(line, "dracut"))
    return BootPhase::kInitrd;
  if (Has(line, "Linux version ") || Has(line, "EFI stub: ")) return BootPhase::kKernel;
  return BootPhase::kFirmware;  // anything else the guest prints first is the firmware's
}

}  // namespace

const char* BootPhaseName(BootPhase p) {
  switch (p) {
    case BootPhase::kNone: return "none";
    case BootPhase::kFirmware: return "firmware";
    case BootPhase::kKernel: return "kernel";
    case BootPhase::kInitrd: return "initrd";
    case BootPhase::kUserspace: return "userspace";
  }
  return "none";
}

const char* BootPhaseDescription(BootPhase p) {
  switch (p) {
    case BootPhase::kNone: return "nothing on the console yet";
    case BootPhase::kFirmware: return "the firmware is running";
    case BootPhase::kKernel: return "the kernel is starting";
    case BootPhase::kInitrd: return "the initrd is running";
    case BootPhase::kUserspace: return "userspace is starting on the real root";
  }
  return "";
}

std::optional<BootPhase> BootPhaseTracker::Feed(std::string_view line) {
  if (line.empty()) return std::nullopt;
  BootPhase p = PhaseOf(line);
  if (p <= current_) return std::nullopt;
  current_ = p;
  return p;
}

}  // namespace kiln::vm
