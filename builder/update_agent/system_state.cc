#include "builder/update_agent/system_state.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "builder/common/files.h"
#include "builder/update_agent/kernel_cmdline.h"

namespace kiln::update_agent {

namespace fs = std::filesystem;

namespace {

Result<Architecture> ParseArchitecture(const std::string& name) {
  for (Architecture a : {Architecture::kX86_64, Architecture::kArm64})
    if (name == ArchitectureName(a)) return a;
  return MakeError(ErrorCode::kInput, "release.json: unknown architecture '" + name.substr(0, 64) + "'");
}

// disk::WriteGpt numbers partitions 1..n in table order. A table with unused entries between
// used ones (edited by another tool) would be renumbered by a rewrite, and a running system's
// /dev/sdaN would change meaning: such a disk is refused for writing. The primary entry array
// is where kiln puts it (LBA 2).
Status CheckEntriesContiguous(int fd, std::size_t used, const fs::path& disk_path) {
  std::string entries(disk::kGptEntryCount * disk::kGptEntrySize, '\0');
  if (::pread(fd, entries.data(), entries.size(), 2 * disk::kSectorSize) != static_cast<ssize_t>(entries.size()))
    return MakeError(ErrorCode::kIo, "cannot read the GPT entries of " + disk_path.string());
  for (std::size_t i = 0; i < used && i < disk::kGptEntryCount; ++i) {
    const std::string_view type(entries.data() + i * disk::kGptEntrySize, 16);
    if (type.find_first_not_of('\0') == std::string_view::npos)
      return MakeError(ErrorCode::kInput, disk_path.string() + ": GPT entry " + std::to_string(i + 1) +
                                              " is unused between used ones; rewriting the table would renumber "
                                              "partitions, so kiln-update does not write to this disk");
  }
  return OkStatus();
}

}  // namespace

Result<fs::path> DiskOfPartition(const Uuid& partuuid) {
  const fs::path link = fs::path("/dev/disk/by-partuuid") / partuuid.ToString();
  std::error_code ec;
  const fs::path dev = fs::canonical(link, ec);
  if (ec) return MakeError(ErrorCode::kInput, "cannot find the partition " + link.string() + ": " + ec.message());
  // /sys/class/block/sda2 -> .../block/sda/sda2: the parent directory is the disk.
  const fs::path sys = fs::canonical(fs::path("/sys/class/block") / dev.filename(), ec);
  if (ec || !fs::exists(sys / "partition", ec))
    return MakeError(ErrorCode::kInput, dev.string() + " is not a partition of a disk");
  return fs::path("/dev") / sys.parent_path().filename();
}

Result<SystemState> LoadSystemState(const AgentPaths& paths, bool writable) {
  SystemState s;
  KILN_ASSIGN_OR_RETURN(std::string release_text, ReadFile(paths.release));
  KILN_ASSIGN_OR_RETURN(s.release, ParseReleaseInfo(release_text).WithContext(paths.release.string()));
  KILN_ASSIGN_OR_RETURN(s.arch, ParseArchitecture(s.release.architecture));
  KILN_ASSIGN_OR_RETURN(std::string cmdline, ReadFile(paths.cmdline));
  KILN_ASSIGN_OR_RETURN(s.root_hash, RootHashFromCmdline(cmdline));

  s.disk_path = paths.disk;
  if (s.disk_path.empty()) {
    KILN_ASSIGN_OR_RETURN(s.disk_path, DiskOfPartition(UuidFromFirstHalf(s.root_hash)));
  }
  s.disk = UniqueFd(::open(s.disk_path.c_str(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC));
  if (!s.disk.valid())
    return MakeError(ErrorCode::kIo, "cannot open the disk " + s.disk_path.string() + ": " + std::strerror(errno));
  // One writer at a time (the timer and a person): an exclusive BSD lock on the disk, which
  // also keeps udev from probing the disk while its table is rewritten.
  if (writable && ::flock(s.disk.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK)
      return MakeError(ErrorCode::kIo, s.disk_path.string() + " is locked: another kiln-update (or a partitioning tool) is using it");
    return MakeError(ErrorCode::kIo, "cannot lock " + s.disk_path.string() + ": " + std::strerror(errno));
  }
  std::string note;
  KILN_ASSIGN_OR_RETURN(s.layout, disk::ReadGpt(s.disk.get(), &note).WithContext(s.disk_path.string()));
  if (writable && note.empty()) KILN_TRY(CheckEntriesContiguous(s.disk.get(), s.layout.partitions.size(), s.disk_path));
  KILN_ASSIGN_OR_RETURN(s.slots, slots::FindSlots(s.layout, s.arch).WithContext(s.disk_path.string()));
  auto running = slots::FindSlotOfRootHash(s.layout, s.slots, s.root_hash);
  if (!running)
    return MakeError(ErrorCode::kInput, "no slot of " + s.disk_path.string() + " holds the running root " +
                                            ToHex(s.root_hash) + " (its root partition UUID would be " +
                                            UuidFromFirstHalf(s.root_hash).ToString() + ")");
  s.running = *running;
  return s;
}

Status WritePartitionTable(SystemState& s) {
  KILN_TRY(disk::WriteGpt(s.disk.get(), s.layout));
  if (::fsync(s.disk.get()) != 0)
    return MakeError(ErrorCode::kIo, "cannot sync " + s.disk_path.string() + ": " + std::strerror(errno));
  return OkStatus();
}

}  // namespace kiln::update_agent
