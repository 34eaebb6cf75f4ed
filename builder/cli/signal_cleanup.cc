#include "builder/cli/signal_cleanup.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "builder/common/leftovers.h"

namespace kiln::cli {
namespace {

int g_signal_pipe[2] = {-1, -1};

// Async-signal-safe: only write(2). The cleanup itself (mutexes, allocation, file system
// walks) runs on the watcher thread.
void OnSignal(int sig) {
  int saved = errno;
  unsigned char b = static_cast<unsigned char>(sig);
  [[maybe_unused]] ssize_t n = ::write(g_signal_pipe[1], &b, 1);
  errno = saved;
}

void Watch() {
  unsigned char sig = 0;
  while (::read(g_signal_pipe[0], &sig, 1) != 1) {
    if (errno != EINTR) return;
  }
  CleanUpLiveResources(std::chrono::seconds(3));
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(sig, &dfl, nullptr);
  ::raise(sig);
  ::_exit(128 + sig);
}

}  // namespace

void InstallSignalCleanup() {
  if (::pipe2(g_signal_pipe, O_CLOEXEC) != 0) return;  // no cleanup, default signal behaviour
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sa.sa_flags = SA_RESTART;  // other threads' system calls carry on until the watcher acts
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction old {};
    // An ignored signal stays ignored (nohup, a CI runner's choice).
    if (::sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    ::sigaction(sig, &sa, nullptr);
  }
  std::thread(Watch).detach();
}

}  // namespace kiln::cli
