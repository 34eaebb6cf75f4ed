// kiln boot's engine: boots a disk image in QEMU with UEFI firmware and follows its serial
// console. In check mode the boot succeeds when the console says the guest reached its default
// target (then the ACPI power button is pressed over QMP and, after a grace period, QEMU is
// stopped), and fails on the first failure line (qemu_console.h), on the timeout, or when QEMU
// exits first. Attached mode just runs the VM until it powers off. Every path kills the VM and
// removes the temporary directory (firmware vars copy, QMP socket). Used by the CLI
// (builder/cli/cmd_boot.cc) and the KVM probe (qemu_accel.h).
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "builder/vm/boot_phase.h"
#include "builder/vm/qemu_command.h"
#include "builder/vm/qemu_console.h"
#include "builder/common/result.h"

namespace kiln::vm {

struct BootOptions {
  std::filesystem::path image;                 // raw, qcow2 or vmdk; empty: no disk (KVM probe)
  std::string arch = "x86_64";
  std::string accel = "auto";                  // auto | kvm | tcg; "auto" honours $KILN_QEMU_ACCEL
  bool check = false;                          // watch for the default target, then power off
  bool snapshot = false;                       // leave the image unmodified
  std::chrono::seconds timeout{0};             // 0: none
  std::chrono::seconds power_off_grace{90};    // after system_powerdown, before QEMU is stopped
  std::chrono::seconds failure_drain{2};       // console lines still collected after a failure
  unsigned memory_mib = 1024;
  unsigned cpus = 2;
  std::vector<std::string> qemu_args;          // appended to QEMU's command line
  std::filesystem::path serial_log;            // raw console bytes are also written here
  std::vector<std::string> expect;             // regexes that must all match before success
  std::vector<std::string> fail_on;            // extra failure regexes (id "custom")
  std::vector<std::string> allow_failures;     // default failure ids to ignore (e.g. "verity")
  std::optional<ConsolePatterns> patterns;     // replaces DefaultConsolePatterns()
  bool inherit_stdin = false;                  // attached mode: the terminal types into the console
  std::filesystem::path firmware_code, firmware_vars;  // override the OVMF search
  const std::atomic<bool>* cancel = nullptr;   // set by a signal handler: stop the VM
};

enum class BootEventKind {
  kLog,          // kiln's own messages ("using tcg: ...", "powering off")
  kConsoleLine,  // one cleaned serial console line
  kConsoleBytes, // raw serial bytes as they arrive (for an attached terminal)
  kQemuStderr,   // a line QEMU printed on its stderr
  kPhase,        // the console shows a later boot phase (boot_phase.h): phase, seconds
};

struct BootEvent {
  BootEventKind kind;
  std::string text;
  BootPhase phase = BootPhase::kNone;  // kPhase
  double seconds = 0;                  // kPhase: since QEMU started
};

enum class BootResult {
  kReady,      // check mode: the default target was reached
  kExited,     // attached mode: QEMU ended (see qemu_status)
  kFailed,     // a failure line, or QEMU ended before the target
  kTimeout,
  kCancelled,  // SIGINT/SIGTERM
};
const char* BootResultName(BootResult r);

struct BootOutcome {
  BootResult result = BootResult::kFailed;
  std::string failure_id;          // "emergency", "panic", "sysroot", "verity", "firmware", "custom", "qemu", "exit"
  std::string reason;              // one line for people
  std::string line;                // the console line that decided it
  int qemu_status = -1;            // QEMU's exit status (128+signal when it was stopped)
  bool forced_stop = false;        // the guest did not power off within the grace period
  Accel accel = Accel::kTcg;
  std::string accel_note;          // why that accelerator
  double seconds = 0;              // wall time of the whole run
  double ready_seconds = 0;        // until the default target (check mode)
  std::vector<std::string> last_lines;   // console tail
  std::vector<std::string> qemu_stderr;  // QEMU's stderr tail
  std::vector<std::string> unmet_expect; // --expect patterns never matched
  std::vector<std::string> argv;

  // Success for the CLI: ready in check mode, a clean QEMU exit in attached mode.
  bool ok() const { return result == BootResult::kReady || (result == BootResult::kExited && qemu_status == 0); }
};

// Setup problems (no QEMU, no firmware, unreadable image, bad regex) are errors; everything the
// guest does is an outcome.
Result<BootOutcome> BootImage(const BootOptions& options, const std::function<void(const BootEvent&)>& on_event);

}  // namespace kiln::vm
