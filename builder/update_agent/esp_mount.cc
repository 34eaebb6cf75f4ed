#include "builder/update_agent/esp_mount.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <utility>

#include "builder/common/files.h"
#include "builder/disk/partition_types.h"

namespace kiln::update_agent {

namespace fs = std::filesystem;

std::optional<dev_t> MountedDevice(const std::string& mountinfo, const std::string& where) {
  std::istringstream lines(mountinfo);
  std::string line;
  std::optional<dev_t> found;
  while (std::getline(lines, line)) {
    std::istringstream f(line);
    std::string id, parent, majmin, root, point;
    if (!(f >> id >> parent >> majmin >> root >> point)) continue;
    if (point != where) continue;
    unsigned maj = 0, min = 0;
    if (std::sscanf(majmin.c_str(), "%u:%u", &maj, &min) == 2) found = makedev(maj, min);  // the last mount wins
  }
  return found;
}

Result<EspMount> EspMount::Locate(const AgentPaths& paths, const SystemState& state) {
  EspMount m;
  if (!paths.esp.empty()) {
    std::error_code ec;
    if (!fs::is_directory(paths.esp, ec)) return MakeError(ErrorCode::kUsage, "--esp " + paths.esp.string() + " is not a directory");
    m.path_ = paths.esp;
    return m;
  }
  const Uuid esp_type = disk::PartitionTypeUuid(disk::PartitionRole::kEsp, state.arch);
  const disk::Partition* esp = nullptr;
  for (const auto& p : state.layout.partitions)
    if (p.type == esp_type) {
      esp = &p;
      break;
    }
  if (!esp) return MakeError(ErrorCode::kInput, state.disk_path.string() + " has no EFI system partition");
  const fs::path device = fs::path("/dev/disk/by-partuuid") / esp->uuid.ToString();
  struct stat st {};
  if (::stat(device.c_str(), &st) != 0 || !S_ISBLK(st.st_mode))
    return MakeError(ErrorCode::kInput, "cannot find the EFI system partition " + device.string() + ": " + std::strerror(errno));
  // systemd mounts the ESP on demand (autofs): touching it mounts it, so mountinfo then lists
  // the vfat file system on top of the autofs entry.
  for (const char* where : {"/efi", "/boot", "/boot/efi"}) ::access((std::string(where) + "/EFI").c_str(), F_OK);
  auto mountinfo = ReadFile("/proc/self/mountinfo");
  if (mountinfo.ok())
    for (const char* where : {"/efi", "/boot", "/boot/efi"})
      if (auto dev = MountedDevice(*mountinfo, where); dev && *dev == st.st_rdev) {
        m.path_ = where;
        return m;
      }
  std::error_code ec;
  fs::create_directories("/run/kiln-update", ec);
  std::string dir = "/run/kiln-update/esp-XXXXXX";
  if (!::mkdtemp(dir.data())) return MakeError(ErrorCode::kIo, std::string("cannot create a mount point under /run/kiln-update: ") + std::strerror(errno));
  if (::mount(device.c_str(), dir.c_str(), "vfat", MS_NOSUID | MS_NODEV | MS_NOEXEC, "umask=0077") != 0) {
    const int err = errno;
    ::rmdir(dir.c_str());
    return MakeError(ErrorCode::kIo, "cannot mount the EFI system partition " + device.string() + ": " + std::strerror(err));
  }
  m.path_ = dir;
  m.mounted_by_us_ = true;
  return m;
}

EspMount::EspMount(EspMount&& o) noexcept
    : path_(std::move(o.path_)), mounted_by_us_(std::exchange(o.mounted_by_us_, false)) {}

EspMount& EspMount::operator=(EspMount&& o) noexcept {
  if (this != &o) {
    Release();
    path_ = std::move(o.path_);
    mounted_by_us_ = std::exchange(o.mounted_by_us_, false);
  }
  return *this;
}

EspMount::~EspMount() { Release(); }

void EspMount::Release() {
  if (!mounted_by_us_) return;
  ::sync();
  if (::umount2(path_.c_str(), 0) == 0) ::rmdir(path_.c_str());
  mounted_by_us_ = false;
}

}  // namespace kiln::update_agent
