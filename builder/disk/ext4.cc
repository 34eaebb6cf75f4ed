#include "builder/disk/ext4.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <sstream>

#include "builder/common/files.h"
#include "builder/common/subprocess.h"
#include "builder/disk/image_file.h"

namespace kiln::disk {
namespace fs = std::filesystem;
namespace {

constexpr std::uint64_t kBlockSize = 4096;

// Pinned to Debian 12's ext4 defaults, minus lazy initialisation (which would leave whatever
// bytes were in the image inside the inode tables and journal). The "kiln" usage type replaces
// mke2fs's size-based ones (floppy, small, ...), so the output depends on this text alone.
constexpr char kMkfsConfig[] = R"([defaults]
	base_features = sparse_super,large_file,filetype,resize_inode,dir_index,ext_attr
	default_mntopts = acl,user_xattr
	enable_periodic_fsck = 0
	blocksize = 4096
	inode_size = 256
	inode_ratio = 16384
	reserved_ratio = 5.0
	lazy_itable_init = false
	lazy_journal_init = false
	default_fs_type = ext4
	default_usage_types = kiln

[fs_types]
	ext4 = {
		features = has_journal,extent,huge_file,flex_bg,metadata_csum,64bit,dir_nlink,extra_isize
	}
	kiln = {
		inode_ratio = 16384
	}
)";

// What a file-system path looks like to e2fsprogs: they open "image?offset=N" through
// unix_io's option string, which is how debugfs and dumpe2fs reach a partition inside the
// disk image without a copy.
std::string DevicePath(const Ext4Spec& spec) {
  return spec.image.string() + "?offset=" + std::to_string(spec.offset);
}

std::map<std::string, std::string> ToolEnv(const Ext4Spec& spec, const fs::path& conf) {
  return {
      {"MKE2FS_CONFIG", conf.string()},
      {"E2FSPROGS_FAKE_TIME", std::to_string(spec.source_date_epoch)},
      {"DEBUGFS_PAGER", "__none__"},
      {"PAGER", "__none__"},
      {"LC_ALL", "C"},
      {"TZ", "UTC"},
  };
}

const std::vector<std::string> kUnsetEnv = {"MKE2FS_DEVICE_SECTSIZE", "MKE2FS_DEVICE_PHYS_SECTSIZE",
                                             "MKE2FS_SYNC", "MKE2FS_FIRST_META_BG",
                                             "E2FSPROGS_LIBMAGIC_SUPPRESS", "MKE2FS_SKIP_CHECK_MSG"};

// Allocated inode numbers, from dumpe2fs's per-group "Free inodes:" lists.
Result<std::vector<std::uint64_t>> UsedInodes(const Ext4Spec& spec, const fs::path& conf) {
  ProcessSpec ps = ToolSpec({"dumpe2fs", DevicePath(spec)}, ToolEnv(spec, conf), kUnsetEnv);
  KILN_ASSIGN_OR_RETURN(ProcessResult r, RunChecked(ps));
  std::uint64_t inode_count = 0;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> free;  // inclusive ranges
  std::istringstream in(r.out);
  std::string line;
  try {
    while (std::getline(in, line)) {
      if (line.rfind("Inode count:", 0) == 0) inode_count = std::stoull(line.substr(12));
      // Per-group lines are indented: "  Free inodes: 16-512, 600".
      const std::string key = "  Free inodes: ";
      if (line.rfind(key, 0) != 0) continue;
      std::istringstream ranges(line.substr(key.size()));
      for (std::string range; std::getline(ranges, range, ',');) {
        range.erase(0, range.find_first_not_of(' '));
        if (range.empty()) continue;
        std::size_t dash = range.find('-');
        std::uint64_t lo = std::stoull(range.substr(0, dash));
        free.emplace_back(lo, dash == std::string::npos ? lo : std::stoull(range.substr(dash + 1)));
      }
    }
  } catch (const std::exception&) {
    return MakeError(ErrorCode::kBuild, "cannot parse dumpe2fs output line '" + line + "' for " + DevicePath(spec));
  }
  if (inode_count == 0)
    return MakeError(ErrorCode::kBuild, "cannot read the inode count of " + DevicePath(spec));
  std::vector<bool> is_free(inode_count + 1, false);
  for (auto [lo, hi] : free)
    for (std::uint64_t i = lo; i <= hi && i <= inode_count; ++i) is_free[i] = true;
  std::vector<std::uint64_t> used;
  for (std::uint64_t i = 1; i <= inode_count; ++i)
    if (!is_free[i]) used.push_back(i);
  return used;
}

// Each inode's mtime in seconds, from debugfs "stat <N>" (" mtime: 0xLOW:EXTRA -- ...").
Result<std::map<std::uint64_t, std::int64_t>> ReadMtimes(const Ext4Spec& spec, const fs::path& conf,
                                                          const std::vector<std::uint64_t>& inodes) {
  std::string cmds;
  for (std::uint64_t ino : inodes) cmds += "stat <" + std::to_string(ino) + ">\n";
  ProcessSpec ps = ToolSpec({"debugfs", "-f", "-", DevicePath(spec)}, ToolEnv(spec, conf), kUnsetEnv);
  ps.stdin_data = cmds;
  KILN_ASSIGN_OR_RETURN(ProcessResult r, RunChecked(ps));
  std::map<std::uint64_t, std::int64_t> mtimes;
  std::istringstream in(r.out);
  std::string line;
  std::uint64_t current = 0;
  try {
    while (std::getline(in, line)) {
      if (line.rfind("Inode: ", 0) == 0) {
        current = std::stoull(line.substr(7));
        continue;
      }
      std::size_t at = line.find(" mtime: 0x");
      if (at == std::string::npos || current == 0) continue;
      std::string rest = line.substr(at + 10);
      auto low = static_cast<std::uint32_t>(std::stoul(rest.substr(0, 8), nullptr, 16));
      std::uint32_t extra = 0;
      if (rest.size() > 9 && rest[8] == ':')
        extra = static_cast<std::uint32_t>(std::stoul(rest.substr(9, 8), nullptr, 16));
      // ext4 stores seconds as signed 32 bits plus two epoch bits in the extra field.
      mtimes[current] = static_cast<std::int32_t>(low) + (static_cast<std::int64_t>(extra & 3) << 32);
    }
  } catch (const std::exception&) {
    return MakeError(ErrorCode::kBuild, "cannot parse debugfs output line '" + line + "' for " + DevicePath(spec));
  }
  return mtimes;
}

std::string TimeArg(std::int64_t t) { return "@" + std::to_string(t); }

}  // namespace

const char* Ext4MkfsConfig() { return kMkfsConfig; }

Status MakeExt4(const Ext4Spec& spec) {
  const std::string where = "ext4 file system '" + spec.label + "' in " + spec.image.string();
  if (spec.offset % kBlockSize != 0 || spec.size % kBlockSize != 0 || spec.size < 1024 * 1024)
    return MakeError(ErrorCode::kBuild, where + ": offset " + std::to_string(spec.offset) + " and size " +
                                            std::to_string(spec.size) +
                                            " must be multiples of 4096, and the size at least 1 MiB");
  if (spec.label.size() > 16)
    return MakeError(ErrorCode::kBuild, where + ": the label is longer than 16 bytes");
  if (spec.seed_dir && !fs::is_directory(*spec.seed_dir))
    return MakeError(ErrorCode::kInput, where + ": seed directory " + spec.seed_dir->string() +
                                            " does not exist or is not a directory");
  KILN_TRY(EnsureImageSize(spec.image, spec.offset + spec.size));

  KILN_ASSIGN_OR_RETURN(TempDir tmp, TempDir::Create({}, "kiln-ext4"));
  const fs::path conf = tmp.path() / "mke2fs.conf";
  KILN_TRY(WriteFile(conf, kMkfsConfig, 0644));

  ProcessSpec mkfs;
  mkfs.argv = {"mke2fs", "-q", "-F", "-t", "ext4", "-T", "kiln", "-b", "4096",
               "-L", spec.label, "-U", spec.uuid.ToString(),
               "-E", "offset=" + std::to_string(spec.offset) + ",hash_seed=" + spec.hash_seed.ToString() +
                         ",root_owner=0:0,nodiscard,lazy_itable_init=0,lazy_journal_init=0"};
  if (!spec.last_mounted.empty()) {
    // Recorded in the superblock's last-mounted field: `kiln inspect` and dumpe2fs show
    // where the running system mounts this partition.
    mkfs.argv.push_back("-M");
    mkfs.argv.push_back(spec.last_mounted);
  }
  if (spec.seed_dir) {
    mkfs.argv.push_back("-d");
    mkfs.argv.push_back(spec.seed_dir->string());
  }
  mkfs.argv.push_back(spec.image.string());
  mkfs.argv.push_back(std::to_string(spec.size / kBlockSize));
  mkfs.env = ToolEnv(spec, conf);
  mkfs.unset_env = kUnsetEnv;
  KILN_TRY(RunTool(mkfs, where));

  // mke2fs -d copied the host's atime, ctime, mtime and owner of every seed file: rewrite
  // them on every allocated inode. Reserved inodes other than the root (1, 3..10) were made
  // by mke2fs itself at E2FSPROGS_FAKE_TIME.
  KILN_ASSIGN_OR_RETURN(std::vector<std::uint64_t> used, UsedInodes(spec, conf));
  used.erase(std::remove_if(used.begin(), used.end(), [](std::uint64_t i) { return i != 2 && i < 11; }),
             used.end());
  KILN_ASSIGN_OR_RETURN(auto mtimes, ReadMtimes(spec, conf, used));
  const std::int64_t sde = spec.source_date_epoch;
  std::string cmds;
  for (std::uint64_t ino : used) {
    const std::string sif = "sif <" + std::to_string(ino) + "> ";
    auto it = mtimes.find(ino);
    std::int64_t mtime = it == mtimes.end() ? sde : std::min(it->second, sde);
    // The _extra fields hold nanoseconds and epoch bits: zero them first, then set the
    // seconds (debugfs puts the epoch bits of a post-2038 time back into _extra).
    for (const char* f : {"atime", "ctime", "mtime", "crtime"}) cmds += sif + f + "_extra 0\n";
    cmds += sif + "atime " + TimeArg(sde) + "\n";
    cmds += sif + "ctime " + TimeArg(sde) + "\n";
    cmds += sif + "crtime " + TimeArg(sde) + "\n";
    cmds += sif + "mtime " + TimeArg(mtime) + "\n";
    cmds += sif + "uid 0\n" + sif + "gid 0\n";
  }
  // The root takes the seed directory's mode; a data partition mounted at /var needs 0755.
  cmds += "sif <2> mode 040755\n";
  ProcessSpec fix = ToolSpec({"debugfs", "-w", "-f", "-", DevicePath(spec)}, ToolEnv(spec, conf), kUnsetEnv);
  fix.stdin_data = cmds;
  KILN_ASSIGN_OR_RETURN(ProcessResult r, RunTool(fix, where));
  // debugfs reports a failed command on stderr but still exits 0: anything there besides
  // its version banner is an error.
  std::istringstream err(r.err);
  for (std::string line; std::getline(err, line);)
    if (!line.empty() && line.rfind("debugfs ", 0) != 0)
      return MakeError(ErrorCode::kBuild, where + ": debugfs could not fix inode times/owners: " + line);
  return OkStatus();
}

}  // namespace kiln::disk
