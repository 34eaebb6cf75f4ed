#include "builder/vm/qemu_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "builder/common/subprocess.h"

namespace kiln::vm {

namespace {

int DecodeStatus(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return -1;
}

}  // namespace

Result<QemuProcess> QemuProcess::Start(const std::vector<std::string>& argv, bool inherit_stdin) {
  if (argv.empty()) return MakeError(ErrorCode::kBuild, "empty QEMU command");
  auto prog = FindProgram(argv[0]);
  if (prog.empty())
    return MakeError(ErrorCode::kInput, argv[0] + " not found in PATH (install Debian's qemu-system-x86 package)");
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return MakeError(ErrorCode::kIo, std::string("pipe: ") + std::strerror(errno));
  UniqueFd out_r(out[0]), out_w(out[1]);
  if (::pipe2(err, O_CLOEXEC) != 0) return MakeError(ErrorCode::kIo, std::string("pipe: ") + std::strerror(errno));
  UniqueFd err_r(err[0]), err_w(err[1]);
  UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));

  // Everything the child needs is prepared before fork: after it only async-signal-safe calls.
  std::string prog_s = prog.string();
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0) return MakeError(ErrorCode::kIo, std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
    if (!inherit_stdin) ::dup2(devnull.get(), 0);
    ::dup2(out_w.get(), 1);
    ::dup2(err_w.get(), 2);
    // Handlers kiln installed do not survive exec, but an ignored SIGINT would: reset it.
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::execv(prog_s.c_str(), cargv.data());
    ::_exit(127);
  }
  QemuProcess p;
  p.pid_ = pid;
  p.out_ = std::move(out_r);
  p.err_ = std::move(err_r);
  ::fcntl(p.out_.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(p.err_.get(), F_SETFL, O_NONBLOCK);
  return p;
}

QemuProcess::~QemuProcess() {
  if (pid_ > 0) Terminate();
}

QemuProcess::QemuProcess(QemuProcess&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)), status_(o.status_), out_(std::move(o.out_)), err_(std::move(o.err_)) {}

QemuProcess& QemuProcess::operator=(QemuProcess&& o) noexcept {
  if (this != &o) {
    if (pid_ > 0) Terminate();
    pid_ = std::exchange(o.pid_, -1);
    status_ = o.status_;
    out_ = std::move(o.out_);
    err_ = std::move(o.err_);
  }
  return *this;
}

std::optional<int> QemuProcess::TryWait() {
  if (status_ || pid_ <= 0) return status_;
  int st = 0;
  pid_t r;
  do r = ::waitpid(pid_, &st, WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r == pid_) status_ = DecodeStatus(st);
  return status_;
}

int QemuProcess::Terminate(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return status_.value_or(-1);
  if (!TryWait()) {
    ::kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (!TryWait() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (!TryWait()) {
      ::kill(pid_, SIGKILL);
      int st = 0;
      while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
      }
      status_ = DecodeStatus(st);
    }
  }
  return status_.value_or(-1);
}

}  // namespace kiln::vm
