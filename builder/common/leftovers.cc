#include "builder/common/leftovers.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <set>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "builder/common/unique_fd.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;

struct Registry {
  std::mutex mu;
  std::set<fs::path> dirs;
  std::set<pid_t> children;
};

Registry& Live() {
  // Never destroyed: a signal handler thread may use it while static destructors run.
  static Registry* r = new Registry;
  return *r;
}

bool IsTempSuffix(std::string_view s) {
  if (s.size() != 6) return false;
  for (char c : s) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum) return false;
  }
  return true;
}

// kiln[-word...]-XXXXXX with words of lower-case letters and digits.
bool IsKilnTempName(std::string_view name) {
  if (name.size() < 4 + 7 || name.substr(0, 4) != "kiln") return false;
  if (name[name.size() - 7] != '-' || !IsTempSuffix(name.substr(name.size() - 6))) return false;
  std::string_view middle = name.substr(4, name.size() - 4 - 7);
  if (!middle.empty() && middle.front() != '-') return false;
  char prev = '-';
  for (std::size_t i = middle.empty() ? 0 : 1; i < middle.size(); ++i) {
    char c = middle[i];
    bool word = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!word && !(c == '-' && prev != '-')) return false;
    prev = c;
  }
  return middle.empty() || middle.back() != '-';
}

// Removes parent/name when it is a directory of ours, old enough, and unlocked.
bool RemoveIfAbandoned(const fs::path& parent, const std::string& name, std::chrono::seconds min_age) {
  fs::path dir = parent / name;
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return false;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid()) return false;
  auto modified = std::chrono::system_clock::time_point(std::chrono::seconds(st.st_mtim.tv_sec));
  if (std::chrono::system_clock::now() - modified < min_age) return false;
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) return false;  // its owner is alive
  return RemoveTree(dir);
}

template <typename NameMatches>
std::size_t Sweep(const fs::path& parent, std::chrono::seconds min_age, NameMatches matches) {
  std::error_code ec;
  std::vector<std::string> names;
  for (auto it = fs::directory_iterator(parent, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (matches(std::string_view(name))) names.push_back(std::move(name));
  }
  std::size_t removed = 0;
  for (const std::string& name : names) removed += RemoveIfAbandoned(parent, name, min_age) ? 1 : 0;
  return removed;
}

}  // namespace

void RegisterLiveDir(const fs::path& dir) {
  std::lock_guard lock(Live().mu);
  Live().dirs.insert(dir);
}

void UnregisterLiveDir(const fs::path& dir) {
  std::lock_guard lock(Live().mu);
  Live().dirs.erase(dir);
}

void RegisterLiveChild(pid_t pid) {
  std::lock_guard lock(Live().mu);
  Live().children.insert(pid);
}

void UnregisterLiveChild(pid_t pid) {
  std::lock_guard lock(Live().mu);
  Live().children.erase(pid);
}

void CleanUpLiveResources(std::chrono::milliseconds grace) {
  {
    std::lock_guard lock(Live().mu);
    for (pid_t pid : Live().children) ::kill(pid, SIGTERM);
  }
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(Live().mu);
      if (Live().children.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::set<fs::path> dirs;
  {
    std::lock_guard lock(Live().mu);
    dirs = Live().dirs;
  }
  // Outermost first: a nested directory goes with its parent.
  for (const fs::path& d : dirs) RemoveTree(d);
}

bool RemoveTree(const fs::path& dir) {
  std::error_code ec;
  // Make every directory writable first: staged trees hold read-only directories.
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    std::error_code e;
    if (it->is_directory(e) && !it->is_symlink(e))
      fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, e);
  }
  ec.clear();
  fs::remove_all(dir, ec);
  return !ec && !fs::exists(fs::symlink_status(dir, ec));
}

std::size_t SweepAbandonedDirs(const fs::path& parent, std::string_view prefix, std::chrono::seconds min_age) {
  return Sweep(parent, min_age, [&](std::string_view name) {
    return name.size() == prefix.size() + 7 && name.substr(0, prefix.size()) == prefix &&
           name[prefix.size()] == '-' && IsTempSuffix(name.substr(prefix.size() + 1));
  });
}

std::size_t SweepAbandonedTempDirs(std::chrono::seconds min_age) {
  return Sweep(DefaultTempParent(), min_age, IsKilnTempName);
}

fs::path DefaultTempParent() {
  const char* t = std::getenv("TMPDIR");
  return (t && *t) ? fs::path(t) : fs::path("/tmp");
}

}  // namespace kiln
