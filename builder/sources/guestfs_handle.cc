#include "builder/sources/guestfs_handle.h"

#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stop_token>
#include <thread>

namespace kiln::sources {

namespace {

using Clock = std::chrono::steady_clock;

// A booting appliance prints to its serial console continuously (the kernel, then the
// daemon's verbose start-up). On hosts where KVM is exposed but broken the console goes
// silent right after the BIOS, forever: that silence is the signal to fall back to TCG.
constexpr auto kStallTimeout = std::chrono::seconds(20);
constexpr std::size_t kLogTailLines = 25;

// Set once a default launch failed or stalled; later launches go straight to TCG.
std::atomic<bool> g_kvm_broken{false};

struct GuestfsCloser {
  void operator()(guestfs_h* g) const { guestfs_close(g); }
};

bool EnvSet(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0';
}

// The QEMU that libguestfs' direct backend forked from this process, or -1. Only children of
// this process are considered, so a stall never touches anything we did not start.
pid_t FindQemuChild() {
  const pid_t self = getpid();
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat;
    if (!std::getline(in, stat)) continue;
    // "pid (comm) state ppid ...": comm may hold spaces, so split at the last ')'.
    const auto open = stat.find('(');
    const auto close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open) continue;
    const std::string comm = stat.substr(open + 1, close - open - 1);
    std::istringstream rest(stat.substr(close + 1));
    std::string state;
    long ppid = 0;
    if (!(rest >> state >> ppid)) continue;
    if (ppid == self && comm.rfind("qemu", 0) == 0) return static_cast<pid_t>(std::stol(name));
  }
  return -1;
}

}  // namespace

struct GuestfsHandle::State {
  // Declared first so it outlives the handle (callbacks may fire while closing).
  std::mutex mu;
  std::deque<std::string> tail;  // last lines of appliance/library output
  std::string partial;           // console output arrives in arbitrary chunks
  std::atomic<Clock::rep> last_output{0};
  std::unique_ptr<guestfs_h, GuestfsCloser> g;

  void Append(const char* buf, std::size_t len) {
    last_output = Clock::now().time_since_epoch().count();
    std::lock_guard<std::mutex> lock(mu);
    for (std::size_t i = 0; i < len; ++i) {
      char c = buf[i];
      if (c == '\n') {
        if (!partial.empty()) tail.push_back(std::move(partial));
        partial.clear();
        if (tail.size() > kLogTailLines) tail.pop_front();
      } else if (c != '\r' && partial.size() < 400) {
        partial.push_back(c);
      }
    }
  }

  std::string Tail() {
    std::lock_guard<std::mutex> lock(mu);
    std::string out;
    for (const auto& line : tail) out += "\n  | " + line;
    if (!partial.empty()) out += "\n  | " + partial;
    return out;
  }
};

namespace {

void OnEvent(guestfs_h*, void* opaque, uint64_t, int, int, const char* buf, size_t buf_len,
             const uint64_t*, size_t) {
  static_cast<GuestfsHandle::State*>(opaque)->Append(buf, buf_len);
}

std::string LastErrorOf(guestfs_h* g) {
  const char* msg = g ? guestfs_last_error(g) : nullptr;
  return msg ? msg : "unknown libguestfs error";
}

struct Attempt {
  std::unique_ptr<GuestfsHandle::State> state;
  bool stalled = false;
  std::string error;  // empty on success
};

// One launch. force_tcg selects direct+TCG; watch kills a launch whose console stalls.
Attempt TryLaunch(const std::vector<GuestfsDrive>& drives, bool force_tcg, bool watch) {
  Attempt at;
  at.state = std::make_unique<GuestfsHandle::State>();
  GuestfsHandle::State& st = *at.state;
  // guestfs_create reads LIBGUESTFS_* from the environment (backend, path, tmpdir).
  st.g.reset(guestfs_create());
  guestfs_h* g = st.g.get();
  if (!g) {
    at.error = "cannot create a libguestfs handle";
    return at;
  }
  // Errors come back through guestfs_last_error; nothing is printed to stderr.
  guestfs_set_error_handler(g, nullptr, nullptr);
  // With callbacks registered, libguestfs stops printing these to stderr; verbose mode makes
  // the appliance's console visible, which is what the stall watch and error tails need.
  guestfs_set_event_callback(g, OnEvent,
                             GUESTFS_EVENT_APPLIANCE | GUESTFS_EVENT_LIBRARY |
                                 GUESTFS_EVENT_WARNING,
                             0, &st);
  guestfs_set_verbose(g, 1);
  if (force_tcg) {
    char force[] = "force_tcg";
    char* settings[] = {force, nullptr};
    if (guestfs_set_backend(g, "direct") == -1 ||
        guestfs_set_backend_settings(g, settings) == -1) {
      at.error = LastErrorOf(g);
      return at;
    }
  }
  for (const auto& d : drives) {
    if (guestfs_add_drive_opts(g, d.path.c_str(), GUESTFS_ADD_DRIVE_OPTS_FORMAT, d.format.c_str(),
                               GUESTFS_ADD_DRIVE_OPTS_READONLY, d.readonly ? 1 : 0, -1) == -1) {
      at.error = "cannot add " + d.path.string() + ": " + LastErrorOf(g);
      return at;
    }
  }

  st.last_output = Clock::now().time_since_epoch().count();
  std::atomic<bool> stalled{false};
  std::jthread watchdog;
  if (watch) {
    watchdog = std::jthread([&st, &stalled](std::stop_token stop) {
      while (!stop.stop_requested()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        auto last = Clock::time_point(Clock::duration(st.last_output.load()));
        if (Clock::now() - last < kStallTimeout) continue;
        // Silent before QEMU exists (supermin building the appliance) is not a stall.
        pid_t qemu = FindQemuChild();
        if (qemu <= 0) continue;
        stalled = true;
        kill(qemu, SIGKILL);
        return;
      }
    });
  }
  const int rc = guestfs_launch(g);
  if (watchdog.joinable()) {
    watchdog.request_stop();
    watchdog.join();
  }
  at.stalled = stalled;
  if (rc == -1) at.error = LastErrorOf(g);
  guestfs_set_verbose(g, 0);
  return at;
}

}  // namespace

GuestfsHandle::GuestfsHandle(std::unique_ptr<State> state, bool tcg)
    : state_(std::move(state)), tcg_(tcg) {}
GuestfsHandle::GuestfsHandle(GuestfsHandle&&) noexcept = default;
GuestfsHandle& GuestfsHandle::operator=(GuestfsHandle&&) noexcept = default;
GuestfsHandle::~GuestfsHandle() = default;

guestfs_h* GuestfsHandle::get() const { return state_ ? state_->g.get() : nullptr; }

std::string GuestfsHandle::LastError() const { return LastErrorOf(get()); }

Error GuestfsHandle::Fail(ErrorCode code, const std::string& what) const {
  return MakeError(code, what + ": " + LastError());
}

Status GuestfsHandle::Shutdown() {
  if (!get()) return OkStatus();
  if (guestfs_shutdown(get()) == -1) return Fail(ErrorCode::kBuild, "libguestfs shutdown");
  return OkStatus();
}

Result<GuestfsHandle> GuestfsHandle::Launch(const std::vector<GuestfsDrive>& drives,
                                            const BuildContext& ctx) {
  // The user chose a backend: obey it, one launch, no detection.
  const bool user_choice =
      EnvSet("LIBGUESTFS_BACKEND") || EnvSet("LIBGUESTFS_BACKEND_SETTINGS");
  // Without a usable /dev/kvm, QEMU falls back to TCG by itself (accel=kvm:tcg): a slow but
  // healthy boot, which the stall watch must not mistake for a hang.
  const bool kvm_usable = access("/dev/kvm", R_OK | W_OK) == 0;

  std::string first_error;
  if (user_choice || !g_kvm_broken) {
    ctx.Report("sources", user_choice ? "starting the libguestfs appliance"
                                      : "starting the libguestfs appliance (trying KVM)");
    Attempt at = TryLaunch(drives, /*force_tcg=*/false, /*watch=*/kvm_usable && !user_choice);
    const char* settings = std::getenv("LIBGUESTFS_BACKEND_SETTINGS");
    const bool forced_tcg =
        settings != nullptr && std::string(settings).find("force_tcg") != std::string::npos;
    if (at.error.empty())
      return GuestfsHandle(std::move(at.state), /*tcg=*/!kvm_usable || forced_tcg);
    first_error = at.stalled ? "the appliance stalled under KVM" : at.error;
    if (user_choice) {
      return MakeError(ErrorCode::kBuild,
                       "cannot launch the libguestfs appliance (backend from "
                       "LIBGUESTFS_BACKEND/LIBGUESTFS_BACKEND_SETTINGS): " +
                           first_error + at.state->Tail());
    }
    g_kvm_broken = true;
    ctx.Report("sources", first_error + "; retrying with software emulation (TCG)");
  }
  ctx.Report("sources", "starting the libguestfs appliance (TCG)");
  Attempt at = TryLaunch(drives, /*force_tcg=*/true, /*watch=*/false);
  if (at.error.empty()) return GuestfsHandle(std::move(at.state), /*tcg=*/true);
  std::string msg = "cannot launch the libguestfs appliance: " + at.error;
  if (!first_error.empty()) msg += " (default backend: " + first_error + ")";
  return MakeError(ErrorCode::kBuild, msg + at.state->Tail());
}

std::vector<std::string> TakeStringList(char** list) {
  std::vector<std::string> out;
  if (!list) return out;
  for (char** p = list; *p; ++p) {
    out.emplace_back(*p);
    std::free(*p);
  }
  std::free(list);
  return out;
}

}  // namespace kiln::sources
