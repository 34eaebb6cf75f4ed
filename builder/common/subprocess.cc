#include "builder/common/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>

#include "builder/common/leftovers.h"
#include "builder/common/unique_fd.h"

extern char** environ;

namespace kiln {

namespace fs = std::filesystem;

fs::path FindProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) return fs::exists(name) ? fs::path(name) : fs::path();
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/local/bin:/usr/bin:/bin";
  // Tools such as mke2fs and debugfs live in sbin, which a non-root PATH often lacks.
  p += ":/usr/local/sbin:/usr/sbin:/sbin";
  std::size_t start = 0;
  while (start <= p.size()) {
    std::size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    fs::path cand = fs::path(p.substr(start, end - start)) / name;
    if (!cand.empty() && ::access(cand.c_str(), X_OK) == 0) return cand;
    start = end + 1;
  }
  return {};
}

namespace {

// Hands every complete line of `text` from `start` on to `fn` and moves `start` past them.
void EmitLines(const std::string& text, std::size_t& start,
               const std::function<void(std::string_view)>& fn) {
  for (;;) {
    std::size_t end = text.find_first_of("\r\n", start);
    if (end == std::string::npos) return;
    if (end > start) fn(std::string_view(text).substr(start, end - start));
    start = end + 1;
  }
}

}  // namespace

Result<ProcessResult> RunProcess(const ProcessSpec& spec) {
  if (spec.argv.empty()) return MakeError(ErrorCode::kBuild, "empty command");
  fs::path prog = FindProgram(spec.argv[0]);
  if (prog.empty())
    return MakeError(ErrorCode::kBuild, "program '" + spec.argv[0] + "' not found in PATH (run ci/setup)");

  std::vector<std::string> env_strings;
  std::set<std::string> overridden;
  for (auto& [k, v] : spec.env) overridden.insert(k);
  for (auto& k : spec.unset_env) overridden.insert(k);
  for (char** e = environ; *e; ++e) {
    std::string s(*e);
    std::string key = s.substr(0, s.find('='));
    if (!overridden.count(key)) env_strings.push_back(s);
  }
  for (auto& [k, v] : spec.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = spec.argv;
  std::vector<char*> argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);

  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) || ::pipe2(out_pipe, O_CLOEXEC) || ::pipe2(err_pipe, O_CLOEXEC))
    return MakeError(ErrorCode::kIo, std::string("pipe: ") + std::strerror(errno));
  UniqueFd in_r{in_pipe[0]}, in_w{in_pipe[1]}, out_r{out_pipe[0]}, out_w{out_pipe[1]}, err_r{err_pipe[0]},
      err_w{err_pipe[1]};

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in_r.get(), 0);
  if (spec.capture_stdout)
    posix_spawn_file_actions_adddup2(&fa, out_w.get(), 1);
  else posix_spawn_file_actions_adddup2(&fa, 2, 1);
  if (!spec.stream_stderr) posix_spawn_file_actions_adddup2(&fa, err_w.get(), 2);
  if (!spec.cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, spec.cwd.c_str());
  // The child gets stdin, stdout and stderr only. Descriptors a library left open without
  // O_CLOEXEC (or an LD_PRELOAD such as libfaketime) would otherwise leak into it and push
  // its own descriptors past 9, which /bin/sh (dash) cannot name: mmdebstrap's apt hook
  // `cat >&11` then fails with "Bad fd number".
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, prog.c_str(), &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0)
    return MakeError(ErrorCode::kBuild, "cannot start " + prog.string() + ": " + std::strerror(rc));
  RegisterLiveChild(pid);
  in_r.reset();
  out_w.reset();
  err_w.reset();

  ProcessResult result;
  std::size_t written = 0;
  std::size_t line_start = 0;  // start of stderr's incomplete last line
  if (spec.stdin_data.empty())
    in_w.reset();
  else
    ::fcntl(in_w.get(), F_SETFL, O_NONBLOCK);
  char buf[65536];
  while (out_r.get() >= 0 || err_r.get() >= 0) {
    pollfd fds[3];
    int n = 0;
    if (out_r.get() >= 0) fds[n++] = {out_r.get(), POLLIN, 0};
    if (err_r.get() >= 0) fds[n++] = {err_r.get(), POLLIN, 0};
    if (in_w.get() >= 0) fds[n++] = {in_w.get(), POLLOUT, 0};
    if (::poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      if (fds[i].fd == in_w.get()) {
        ssize_t w = ::write(in_w.get(), spec.stdin_data.data() + written, spec.stdin_data.size() - written);
        if (w > 0) written += static_cast<std::size_t>(w);
        if (w < 0 && errno != EAGAIN) in_w.reset();
        if (written == spec.stdin_data.size()) in_w.reset();
        continue;
      }
      ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
      if (r <= 0) {
        if (r < 0 && errno == EINTR) continue;
        if (fds[i].fd == out_r.get())
          out_r.reset();
        else
          err_r.reset();
        continue;
      }
      const bool is_err = fds[i].fd == err_r.get();
      (is_err ? result.err : result.out).append(buf, static_cast<std::size_t>(r));
      if (is_err && spec.on_stderr_line) EmitLines(result.err, line_start, spec.on_stderr_line);
    }
  }
  if (spec.on_stderr_line && line_start < result.err.size())
    spec.on_stderr_line(std::string_view(result.err).substr(line_start));
  in_w.reset();
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  UnregisterLiveChild(pid);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

Result<ProcessResult> RunChecked(const ProcessSpec& spec, ErrorCode code) {
  KILN_ASSIGN_OR_RETURN(ProcessResult r, RunProcess(spec));
  if (r.exit_code != 0) {
    std::string msg = spec.argv[0] + " failed with exit status " + std::to_string(r.exit_code);
    std::string tail = r.err.size() > 2000 ? r.err.substr(r.err.size() - 2000) : r.err;
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
    if (!tail.empty()) msg += ": " + tail;
    return MakeError(code, msg);
  }
  return r;
}

}  // namespace kiln
