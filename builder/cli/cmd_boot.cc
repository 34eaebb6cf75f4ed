// kiln boot IMAGE [--check]: boot a disk image in QEMU with UEFI firmware and show its serial
// console. With --check, exit 0 once the guest reaches its default target (it is then powered
// off), 1 on a boot failure or timeout. SIGINT/SIGTERM stop the VM (exit 130).
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "builder/vm/qemu_runner.h"
#include "builder/cli/commands.h"

namespace kiln::cli {

namespace {

std::atomic<bool> g_boot_cancel{false};

void OnBootSignal(int) { g_boot_cancel.store(true); }

// Installs the stop handlers for the run and puts the old ones (and the terminal mode QEMU's
// stdio console changes) back afterwards.
class BootSignalScope {
 public:
  BootSignalScope() {
    struct sigaction sa {};
    sa.sa_handler = OnBootSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: poll() returns and the runner looks at the flag
    ::sigaction(SIGINT, &sa, &old_int_);
    ::sigaction(SIGTERM, &sa, &old_term_);
    tty_ = ::isatty(0) && ::tcgetattr(0, &termios_) == 0;
  }
  ~BootSignalScope() {
    if (tty_) ::tcsetattr(0, TCSANOW, &termios_);
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
  }
  BootSignalScope(const BootSignalScope&) = delete;
  BootSignalScope& operator=(const BootSignalScope&) = delete;

 private:
  struct sigaction old_int_ {}, old_term_ {};
  struct termios termios_ {};
  bool tty_ = false;
};

void PrintJsonEvent(const char* event, const char* key, const std::string& text) {
  nlohmann::json j = {{"event", event}, {key, text}};
  std::fprintf(stderr, "%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

}  // namespace

int RunBoot(const GlobalOptions& g, const BootCommandOptions& o) {
  vm::BootOptions b;
  b.image = o.image;
  b.arch = o.arch;
  b.accel = o.accel;
  b.check = o.check;
  b.snapshot = o.snapshot;
  b.timeout = std::chrono::seconds(o.timeout ? o.timeout : (o.check ? 600 : 0));
  b.power_off_grace = std::chrono::seconds(o.grace);
  b.memory_mib = o.memory_mib;
  b.cpus = o.cpus;
  b.qemu_args = o.qemu_args;
  b.serial_log = o.serial_log;
  b.expect = o.expect;
  b.fail_on = o.fail_on;
  b.allow_failures = o.allow;
  b.inherit_stdin = !o.check;
  b.cancel = &g_boot_cancel;
  g_boot_cancel = false;

  // Attached: raw bytes so prompts without a newline show. --check: whole cleaned lines.
  bool raw = !o.check && !g.json;
  bool raw_line_open = false;
  auto on_event = [&](const vm::BootEvent& e) {
    switch (e.kind) {
      case vm::BootEventKind::kConsoleBytes:
        if (raw) {
          std::fwrite(e.text.data(), 1, e.text.size(), stdout);
          std::fflush(stdout);
          raw_line_open = !e.text.empty() && e.text.back() != '\n';
        }
        break;
      case vm::BootEventKind::kConsoleLine:
        if (g.json) PrintJsonEvent("console", "line", e.text);
        else if (!raw && !g.quiet) {
          std::printf("%s\n", e.text.c_str());
          std::fflush(stdout);
        }
        break;
      case vm::BootEventKind::kLog:
        if (g.json) PrintJsonEvent("log", "message", e.text);
        else if (!g.quiet) std::fprintf(stderr, "kiln boot: %s\n", e.text.c_str());
        break;
      case vm::BootEventKind::kPhase:
        // Attached, the console owns the terminal: phases only in check mode and JSON.
        if (g.json) {
          nlohmann::json j = {{"event", "phase"}, {"phase", e.text}, {"seconds", e.seconds}};
          std::fprintf(stderr, "%s\n", j.dump().c_str());
        } else if (o.check && !g.quiet) {
          std::fprintf(stderr, "kiln boot: %s: %s (after %.0f s)\n", e.text.c_str(),
                       vm::BootPhaseDescription(e.phase), e.seconds);
          std::fflush(stderr);
        }
        break;
      case vm::BootEventKind::kQemuStderr:
        if (g.json) PrintJsonEvent("qemu", "line", e.text);
        else if (!g.quiet) std::fprintf(stderr, "qemu: %s\n", e.text.c_str());
        break;
    }
  };

  Result<vm::BootOutcome> r = [&] {
    BootSignalScope scope;
    return vm::BootImage(b, on_event);
  }();
  if (!r.ok()) return ReportError(g, r.error());
  const vm::BootOutcome& out = *r;
  if (raw_line_open) std::fputc('\n', stdout);
  int code = out.result == vm::BootResult::kCancelled ? 130 : (out.ok() ? 0 : 1);

  if (g.json) {
    nlohmann::json j = {{"ok", out.ok()},
                        {"result", vm::BootResultName(out.result)},
                        {"reason", out.reason},
                        {"line", out.line},
                        {"failure", out.failure_id},
                        {"accelerator", vm::AccelName(out.accel)},
                        {"accelerator_note", out.accel_note},
                        {"seconds", out.seconds},
                        {"ready_seconds", out.ready_seconds},
                        {"qemu_status", out.qemu_status},
                        {"forced_stop", out.forced_stop},
                        {"unmet_expect", out.unmet_expect},
                        {"last_lines", out.last_lines},
                        {"qemu_stderr", out.qemu_stderr}};
    std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return code;
  }
  const char* accel = vm::AccelName(out.accel);
  if (out.ok() && out.result == vm::BootResult::kReady) {
    std::fprintf(stderr, "kiln boot: %s reached its default target in %.0f s (%s); %s\n", o.image.c_str(),
                 out.ready_seconds, accel,
                 out.forced_stop ? "it did not power off in time and was stopped" : "powered off");
  } else if (out.ok()) {
    if (!g.quiet) std::fprintf(stderr, "kiln boot: the VM powered off after %.0f s\n", out.seconds);
  } else if (out.result == vm::BootResult::kCancelled) {
    std::fprintf(stderr, "kiln boot: interrupted; the VM was stopped\n");
  } else {
    std::fprintf(stderr, "kiln boot: FAILED after %.0f s (%s): %s\n", out.seconds, accel, out.reason.c_str());
    if (!out.line.empty()) std::fprintf(stderr, "  at: %s\n", out.line.c_str());
    std::size_t from = out.last_lines.size() > 15 ? out.last_lines.size() - 15 : 0;
    if (from < out.last_lines.size()) std::fprintf(stderr, "last console lines:\n");
    for (std::size_t i = from; i < out.last_lines.size(); ++i) std::fprintf(stderr, "  | %s\n", out.last_lines[i].c_str());
    if (!out.qemu_stderr.empty()) {
      std::fprintf(stderr, "QEMU said:\n");
      for (const auto& l : out.qemu_stderr) std::fprintf(stderr, "  | %s\n", l.c_str());
    }
  }
  return code;
}

}  // namespace kiln::cli
