// The running QEMU process: started with its stdout (the serial console) and stderr on pipes,
// in kiln's process group (so an attached terminal's Ctrl-C reaches it too) and killed if kiln
// dies (PR_SET_PDEATHSIG). The destructor terminates and reaps it on every path, so no VM
// outlives `kiln boot`. Used by the QEMU runner.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "builder/common/result.h"
#include "builder/common/unique_fd.h"

namespace kiln::vm {

class QemuProcess {
 public:
  // Starts argv (argv[0] looked up in PATH). `inherit_stdin`: the guest console reads kiln's
  // stdin (attached mode); otherwise /dev/null.
  static Result<QemuProcess> Start(const std::vector<std::string>& argv, bool inherit_stdin);

  QemuProcess() = default;
  ~QemuProcess();
  QemuProcess(QemuProcess&& o) noexcept;
  QemuProcess& operator=(QemuProcess&& o) noexcept;
  QemuProcess(const QemuProcess&) = delete;
  QemuProcess& operator=(const QemuProcess&) = delete;

  pid_t pid() const { return pid_; }
  int stdout_fd() const { return out_.get(); }
  int stderr_fd() const { return err_.get(); }
  void CloseStdout() { out_ = UniqueFd(); }
  void CloseStderr() { err_ = UniqueFd(); }

  // Non-blocking: the exit status (128+signal when killed) once the process has ended.
  std::optional<int> TryWait();
  // SIGTERM, then SIGKILL after `grace`; returns the exit status. No-op when already reaped.
  int Terminate(std::chrono::milliseconds grace = std::chrono::seconds(3));

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  UniqueFd out_, err_;
};

}  // namespace kiln::vm
