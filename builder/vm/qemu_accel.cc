#include "builder/vm/qemu_accel.h"

#include <unistd.h>

#include <cstdlib>
#include <map>
#include <mutex>

#include "builder/vm/qemu_runner.h"

namespace kiln::vm {

bool ProbeKvm(const ArchProfile& profile, const FirmwarePair& firmware, std::string* why) {
  BootOptions o;
  o.arch = profile.arch;
  o.accel = "kvm";
  o.check = true;
  o.timeout = std::chrono::seconds(10);
  o.power_off_grace = std::chrono::seconds(0);
  o.failure_drain = std::chrono::seconds(0);
  o.memory_mib = 256;
  o.cpus = 1;
  o.firmware_code = firmware.code;
  o.firmware_vars = firmware.vars;
  // Any firmware output on the console proves that the guest runs; QEMU's stderr is watched
  // for "KVM internal error" by the runner.
  ConsolePatterns p;
  p.ready.push_back({"ready", "firmware output", std::regex(R"(\S)")});
  o.patterns = std::move(p);
  auto outcome = BootImage(o, [](const BootEvent&) {});
  if (!outcome.ok()) {
    if (why) *why = outcome.error().ToString();
    return false;
  }
  if (outcome->result == BootResult::kReady) return true;
  if (why) {
    *why = outcome->reason;
    if (!outcome->qemu_stderr.empty()) *why += " (" + outcome->qemu_stderr.front() + ")";
  }
  return false;
}

Result<AccelChoice> ChooseAccel(const std::string& requested, const ArchProfile& profile,
                                const FirmwarePair& firmware) {
  std::string want = requested;
  std::string note;
  if (want == "auto") {
    const char* env = std::getenv("KILN_QEMU_ACCEL");
    if (env && *env) {
      want = env;
      note = std::string("KILN_QEMU_ACCEL=") + env;
      if (want != "kvm" && want != "tcg")
        return MakeError(ErrorCode::kUsage, "KILN_QEMU_ACCEL must be kvm or tcg, not '" + want + "'");
    }
  }
  if (want == "kvm") return AccelChoice{Accel::kKvm, note.empty() ? "requested" : note};
  if (want == "tcg") return AccelChoice{Accel::kTcg, note.empty() ? "requested" : note};
  if (want != "auto") return MakeError(ErrorCode::kUsage, "accelerator must be auto, kvm or tcg, not '" + want + "'");

  if (HostArch() != profile.host_machine)
    return AccelChoice{Accel::kTcg, "the host is " + HostArch() + ", the guest " + profile.arch};
  if (::access("/dev/kvm", R_OK | W_OK) != 0) return AccelChoice{Accel::kTcg, "/dev/kvm is missing or not accessible"};

  // One probe per process and firmware: kiln boot may run several VMs (tests), KVM does not
  // start working in between.
  static std::mutex mu;
  static std::map<std::string, AccelChoice> cache;
  std::lock_guard lock(mu);
  std::string key = profile.qemu_binary + "|" + firmware.code.string();
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  std::string why;
  AccelChoice choice = ProbeKvm(profile, firmware, &why)
                           ? AccelChoice{Accel::kKvm, "a KVM probe ran the firmware"}
                           : AccelChoice{Accel::kTcg, "/dev/kvm exists but QEMU fails under it: " + why};
  cache[key] = choice;
  return choice;
}

}  // namespace kiln::vm
