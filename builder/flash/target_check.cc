#include "builder/flash/target_check.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstdio>
#include <sstream>
#include <system_error>
#include <vector>

#include "builder/common/files.h"

namespace kiln::flash {

namespace fs = std::filesystem;

namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3') {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

std::vector<MountEntry> ParseMountinfo(std::string_view text) {
  std::vector<MountEntry> out;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, dev, root, mount_point;
    if (!(f >> id >> parent >> dev >> root >> mount_point)) continue;
    MountEntry e;
    if (std::sscanf(dev.c_str(), "%u:%u", &e.major, &e.minor) != 2) continue;
    e.mount_point = Unescape(mount_point);
    std::size_t sep = line.find(" - ");
    if (sep != std::string::npos) {
      std::istringstream tail(line.substr(sep + 3));
      std::string fstype, source;
      tail >> fstype >> source;
      e.source = Unescape(source);
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::string WholeDiskOf(unsigned major, unsigned minor) {
  const std::string self = std::to_string(major) + ":" + std::to_string(minor);
  std::error_code ec;
  fs::path sys = fs::path("/sys/dev/block") / self;
  if (!fs::exists(sys / "partition", ec)) return self;
  auto parent = ReadFile(fs::canonical(sys, ec).parent_path() / "dev");
  return parent.ok() ? Trimmed(*parent) : self;
}

Status CheckTargetFreeIn(const fs::path& target, bool is_block, dev_t rdev, std::string_view mountinfo) {
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(target, ec);
  const std::string want = std::to_string(major(rdev)) + ":" + std::to_string(minor(rdev));
  for (const MountEntry& m : ParseMountinfo(mountinfo)) {
    if (is_block && (WholeDiskOf(m.major, m.minor) == want ||
                     (m.major == major(rdev) && m.minor == minor(rdev))))
      return MakeError(ErrorCode::kUsage, target.string() + " is in use: " + m.source + " is mounted on " + m.mount_point);
    if (!is_block && fs::path(m.mount_point) == canonical)
      return MakeError(ErrorCode::kUsage, target.string() + " is in use: it is mounted (on " + m.mount_point + ")");
  }
  return OkStatus();
}

Status CheckTargetFree(const fs::path& target) {
  struct stat st {};
  if (::stat(target.c_str(), &st) != 0) return OkStatus();  // a new file
  const bool is_block = S_ISBLK(st.st_mode);
  if (!is_block && !S_ISREG(st.st_mode))
    return MakeError(ErrorCode::kUsage, target.string() + " is neither a block device nor a regular file");
  auto mountinfo = ReadFile("/proc/self/mountinfo");
  if (!mountinfo.ok()) return MakeError(ErrorCode::kIo, "cannot read /proc/self/mountinfo: " + mountinfo.error().message);
  KILN_TRY(CheckTargetFreeIn(target, is_block, st.st_rdev, *mountinfo));
  std::error_code ec;
  if (is_block) {
    fs::path holders = fs::path("/sys/dev/block") / (std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev))) / "holders";
    if (fs::exists(holders, ec) && !fs::is_empty(holders, ec))
      return MakeError(ErrorCode::kUsage, target.string() + " is in use: held by " + fs::directory_iterator(holders)->path().filename().string());
    return OkStatus();
  }
  // A file that backs a loop device is in use.
  const fs::path canonical = fs::weakly_canonical(target, ec);
  for (const auto& e : fs::directory_iterator("/sys/block", ec)) {
    auto backing = ReadFile(e.path() / "loop" / "backing_file");
    if (backing.ok() && fs::path(Trimmed(*backing)) == canonical)
      return MakeError(ErrorCode::kUsage, target.string() + " is in use: it backs /dev/" + e.path().filename().string());
  }
  return OkStatus();
}

}  // namespace kiln::flash
