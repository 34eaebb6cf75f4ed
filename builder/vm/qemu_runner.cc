#include "builder/vm/qemu_runner.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>

#include "builder/vm/ovmf_firmware.h"
#include "builder/vm/qemu_accel.h"
#include "builder/vm/qemu_process.h"
#include "builder/vm/qemu_qmp.h"
#include "builder/common/files.h"

namespace kiln::vm {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const char* BootResultName(BootResult r) {
  switch (r) {
    case BootResult::kReady: return "ready";
    case BootResult::kExited: return "exited";
    case BootResult::kFailed: return "failed";
    case BootResult::kTimeout: return "timeout";
    case BootResult::kCancelled: return "cancelled";
  }
  return "?";
}

namespace {

// QEMU's own fatal complaints on stderr: the VM is stopped but QEMU keeps running.
bool IsQemuFatal(const std::string& line) {
  return line.find("KVM internal error") != std::string::npos ||
         line.find("emulation failure") != std::string::npos;
}

double SecondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Reads what is available on a non-blocking fd. Returns false at end of file (or error).
bool ReadAvailable(int fd, std::string* out) {
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out->append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;
  }
}

// One boot, as a small state machine fed by the console and QEMU's state.
class Run {
 public:
  Run(const BootOptions& o, const std::function<void(const BootEvent&)>& on_event, ConsoleWatcher watcher)
      : o_(o), on_event_(on_event), watcher_(std::move(watcher)) {}

  BootOutcome Execute(QemuProcess& qemu, std::optional<QmpClient>& qmp, std::ofstream* log, BootOutcome outcome);

 private:
  enum class Phase { kBooting, kPoweringOff, kDraining };

  void Emit(BootEventKind kind, std::string text) {
    if (on_event_) on_event_(BootEvent{kind, std::move(text)});
  }
  void OnConsole(std::string_view bytes, std::ofstream* log);
  void OnConsoleLine(const std::string& raw);
  void OnStderr(std::string_view bytes);
  void Fail(std::string id, std::string reason, std::string line);
  void StartPowerOff(std::optional<QmpClient>& qmp);

  const BootOptions& o_;
  const std::function<void(const BootEvent&)>& on_event_;
  ConsoleWatcher watcher_;
  ConsoleLineBuffer console_, stderr_;
  BootPhaseTracker phases_;
  std::vector<std::string> stderr_tail_;
  Phase phase_ = Phase::kBooting;
  Clock::time_point start_ = Clock::now();
  Clock::time_point phase_deadline_{};
  BootOutcome out_;
  bool decided_ = false;
  bool want_power_off_ = false;
};

void Run::OnConsole(std::string_view bytes, std::ofstream* log) {
  if (log) log->write(bytes.data(), static_cast<std::streamsize>(bytes.size())).flush();
  Emit(BootEventKind::kConsoleBytes, std::string(bytes));
  for (auto& l : console_.Feed(bytes)) OnConsoleLine(l);
}

void Run::OnConsoleLine(const std::string& raw) {
  std::string line = CleanConsoleLine(raw);
  Emit(BootEventKind::kConsoleLine, line);
  if (auto p = phases_.Feed(line); p && on_event_)
    on_event_(BootEvent{BootEventKind::kPhase, BootPhaseName(*p), *p, SecondsSince(start_)});
  if (!o_.check) {
    watcher_.Observe(line);  // keeps the tail for messages
    return;
  }
  if (phase_ != Phase::kBooting) {
    watcher_.Observe(line);
    return;
  }
  ConsoleVerdict v = watcher_.Observe(line);
  if (v.signal == ConsoleSignal::kFailure) {
    Fail(v.id, v.reason, v.line);
  } else if (v.signal == ConsoleSignal::kReady) {
    out_.result = BootResult::kReady;
    out_.reason = v.reason;
    out_.line = v.line;
    out_.ready_seconds = SecondsSince(start_);
    decided_ = true;
    want_power_off_ = true;
  }
}

void Run::OnStderr(std::string_view bytes) {
  for (auto& raw : stderr_.Feed(bytes)) {
    std::string line = CleanConsoleLine(raw);
    Emit(BootEventKind::kQemuStderr, line);
    stderr_tail_.push_back(line);
    if (stderr_tail_.size() > 20) stderr_tail_.erase(stderr_tail_.begin());
    if (phase_ == Phase::kBooting && IsQemuFatal(line)) Fail("qemu", "QEMU stopped the VM", line);
  }
}

void Run::Fail(std::string id, std::string reason, std::string line) {
  out_.result = BootResult::kFailed;
  out_.failure_id = std::move(id);
  out_.reason = std::move(reason);
  out_.line = std::move(line);
  decided_ = true;
  phase_ = Phase::kDraining;
  phase_deadline_ = Clock::now() + o_.failure_drain;
}

void Run::StartPowerOff(std::optional<QmpClient>& qmp) {
  want_power_off_ = false;
  phase_ = Phase::kPoweringOff;
  phase_deadline_ = Clock::now() + o_.power_off_grace;
  Emit(BootEventKind::kLog, "default target reached after " + std::to_string(static_cast<int>(out_.ready_seconds)) +
                                " s; pressing the power button (grace " +
                                std::to_string(o_.power_off_grace.count()) + " s)");
  if (o_.power_off_grace.count() == 0) return;
  if (!qmp) {
    phase_deadline_ = Clock::now();
    return;
  }
  auto r = qmp->Execute("system_powerdown");
  if (!r.ok()) Emit(BootEventKind::kLog, "system_powerdown failed: " + r.error().ToString());
}

BootOutcome Run::Execute(QemuProcess& qemu, std::optional<QmpClient>& qmp, std::ofstream* log, BootOutcome outcome) {
  out_ = std::move(outcome);
  std::optional<Clock::time_point> timeout;
  if (o_.timeout.count() > 0) timeout = start_ + o_.timeout;
  bool out_open = true, err_open = true;
  std::string chunk;
  for (;;) {
    pollfd fds[2] = {{out_open ? qemu.stdout_fd() : -1, POLLIN, 0}, {err_open ? qemu.stderr_fd() : -1, POLLIN, 0}};
    ::poll(fds, 2, 100);  // EINTR (a signal) just means: look at the cancel flag now
    if (out_open) {
      chunk.clear();
      out_open = ReadAvailable(qemu.stdout_fd(), &chunk);
      if (!chunk.empty()) OnConsole(chunk, log);
    }
    if (err_open) {
      chunk.clear();
      err_open = ReadAvailable(qemu.stderr_fd(), &chunk);
      if (!chunk.empty()) OnStderr(chunk);
    }
    if (want_power_off_) StartPowerOff(qmp);

    std::optional<int> status = qemu.TryWait();
    if (status) {
      // Output written just before the exit is still in the pipes.
      chunk.clear();
      if (out_open) ReadAvailable(qemu.stdout_fd(), &chunk);
      if (!chunk.empty()) OnConsole(chunk, log);
      if (auto rest = console_.TakeRest()) OnConsoleLine(*rest);
      chunk.clear();
      if (err_open) ReadAvailable(qemu.stderr_fd(), &chunk);
      if (!chunk.empty()) OnStderr(chunk);
      if (auto rest = stderr_.TakeRest()) OnStderr(*rest + "\n");
      out_.qemu_status = *status;
      if (!decided_) {
        if (o_.check) {
          out_.result = BootResult::kFailed;
          out_.failure_id = "exit";
          out_.reason = "QEMU exited (status " + std::to_string(*status) + ") before the guest reached its default target";
        } else {
          out_.result = BootResult::kExited;
          out_.reason = "QEMU exited with status " + std::to_string(*status);
        }
      } else if (phase_ == Phase::kPoweringOff) {
        Emit(BootEventKind::kLog, "the guest powered off");
      }
      break;
    }
    auto now = Clock::now();
    bool stop = false;
    if (o_.cancel && o_.cancel->load()) {
      if (!decided_ || out_.result != BootResult::kReady) {
        out_.result = BootResult::kCancelled;
        out_.reason = "interrupted";
      }
      stop = true;
    } else if (phase_ == Phase::kBooting && timeout && now >= *timeout) {
      out_.result = BootResult::kTimeout;
      out_.reason = "no default target after " + std::to_string(o_.timeout.count()) + " s";
      decided_ = true;
      stop = true;
    } else if (phase_ != Phase::kBooting && now >= phase_deadline_) {
      if (phase_ == Phase::kPoweringOff) {
        out_.forced_stop = true;
        if (o_.power_off_grace.count() > 0)
          Emit(BootEventKind::kLog, "the guest did not power off within " + std::to_string(o_.power_off_grace.count()) +
                                        " s; stopping QEMU");
      }
      stop = true;
    }
    if (stop) {
      if (qmp) (void)qmp->Execute("quit", nullptr, std::chrono::seconds(2));
      out_.qemu_status = qemu.Terminate(std::chrono::seconds(3));
      break;
    }
  }
  out_.seconds = SecondsSince(start_);
  out_.last_lines.assign(watcher_.tail().begin(), watcher_.tail().end());
  for (std::size_t i : watcher_.UnmetExpectations()) out_.unmet_expect.push_back(o_.expect[i]);
  if (out_.result != BootResult::kReady && o_.check && !out_.unmet_expect.empty())
    out_.reason += " (--expect never matched: " + out_.unmet_expect.front() +
                   (out_.unmet_expect.size() > 1 ? " and " + std::to_string(out_.unmet_expect.size() - 1) + " more" : "") + ")";
  out_.qemu_stderr = stderr_tail_;
  return out_;
}

}  // namespace

Result<BootOutcome> BootImage(const BootOptions& o, const std::function<void(const BootEvent&)>& on_event) {
  auto log_event = [&](std::string s) {
    if (on_event) on_event(BootEvent{BootEventKind::kLog, std::move(s)});
  };
  KILN_ASSIGN_OR_RETURN(ArchProfile profile, ProfileFor(o.arch));
  KILN_ASSIGN_OR_RETURN(FirmwarePair fw, FindFirmware(o.arch, o.firmware_code, o.firmware_vars));
  QemuCommand cmd;
  cmd.profile = profile;
  cmd.firmware_code = fw.code;
  if (!o.image.empty()) {
    if (!fs::is_regular_file(o.image) && !fs::is_block_file(o.image))
      return MakeError(ErrorCode::kInput, "disk image " + o.image.string() + " not found");
    KILN_ASSIGN_OR_RETURN(cmd.disk_format, DetectDiskFormat(o.image));
    cmd.disk = fs::absolute(o.image);
  }
  cmd.snapshot = o.snapshot;
  cmd.memory_mib = o.memory_mib;
  cmd.cpus = o.cpus;
  // A guest that reboots itself before its target is reached is a failure in check mode; an
  // attached user may reboot freely.
  cmd.no_reboot = o.check;
  cmd.extra_args = o.qemu_args;

  std::vector<std::regex> expect, fail_on;
  for (const auto& e : o.expect) {
    KILN_ASSIGN_OR_RETURN(auto re, CompilePattern(e));
    expect.push_back(std::move(re));
  }
  ConsolePatterns patterns = o.patterns ? *o.patterns : DefaultConsolePatterns();
  for (const auto& f : o.fail_on) {
    KILN_ASSIGN_OR_RETURN(auto re, CompilePattern(f));
    patterns.failure.push_back({"custom", "console matched --fail-on '" + f + "'", std::move(re)});
  }

  KILN_ASSIGN_OR_RETURN(AccelChoice accel, ChooseAccel(o.accel, profile, fw));
  cmd.accel = accel.accel;
  log_event(std::string("accelerator: ") + AccelName(accel.accel) + " (" + accel.note + ")");

  // Short parent: the QMP socket path must fit in sun_path (108 bytes).
  const char* tmpdir = std::getenv("TMPDIR");
  fs::path parent = (tmpdir && *tmpdir && std::string(tmpdir).size() < 60) ? fs::path(tmpdir) : fs::path("/tmp");
  KILN_ASSIGN_OR_RETURN(TempDir tmp, TempDir::Create(parent, "kiln-boot"));
  KILN_ASSIGN_OR_RETURN(cmd.firmware_vars, CopyFirmwareVars(fw, tmp.path()));
  cmd.qmp_socket = tmp.path() / "qmp.sock";

  std::unique_ptr<std::ofstream> log;
  if (!o.serial_log.empty()) {
    log = std::make_unique<std::ofstream>(o.serial_log, std::ios::binary | std::ios::trunc);
    if (!*log) return MakeError(ErrorCode::kIo, "cannot write the serial log " + o.serial_log.string());
  }

  BootOutcome outcome;
  outcome.argv = BuildQemuArgv(cmd);
  outcome.accel = accel.accel;
  outcome.accel_note = accel.note;
  log_event((o.image.empty() ? std::string("starting the firmware") : "booting " + o.image.string() + " (" + cmd.disk_format +
             (o.snapshot ? ", snapshot" : "") + ")") + ": " + QuoteArgv(outcome.argv));

  KILN_ASSIGN_OR_RETURN(QemuProcess qemu, QemuProcess::Start(outcome.argv, o.inherit_stdin));
  std::optional<QmpClient> qmp;
  {
    auto c = QmpClient::Connect(cmd.qmp_socket, std::chrono::seconds(10));
    if (c.ok()) {
      qmp.emplace(std::move(c).value());
    } else if (!qemu.TryWait()) {
      log_event("no QMP connection (" + c.error().ToString() + "); the guest cannot be powered off cleanly");
    }
  }
  ConsoleWatcher watcher(std::move(patterns), std::move(expect), o.allow_failures);
  Run run(o, on_event, std::move(watcher));
  BootOutcome result = run.Execute(qemu, qmp, log.get(), std::move(outcome));
  return result;
}

}  // namespace kiln::vm
