#include "builder/disk/vfat.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <set>

#include "builder/common/files.h"
#include "builder/common/subprocess.h"
#include "builder/disk/image_file.h"

namespace kiln::disk {
namespace fs = std::filesystem;
namespace {

constexpr std::uint64_t kFat32MinSize = 260ULL * 1024 * 1024;

Status SetTime(const fs::path& p, std::int64_t t) {
  struct timespec ts[2] = {{static_cast<time_t>(t), 0}, {static_cast<time_t>(t), 0}};
  if (::utimensat(AT_FDCWD, p.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0)
    return MakeError(ErrorCode::kIo, "cannot set the time of " + p.string() + ": " + std::strerror(errno));
  return OkStatus();
}

// "/EFI/BOOT/x" -> {"EFI", "BOOT", "x"}; rejects empty, "." and ".." components.
Result<std::vector<std::string>> SplitTarget(const std::string& target) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= target.size()) {
    std::size_t end = target.find('/', start);
    if (end == std::string::npos) end = target.size();
    std::string part = target.substr(start, end - start);
    if (!part.empty()) {
      if (part == "." || part == "..")
        return MakeError(ErrorCode::kBuild, "ESP path '" + target + "' contains '" + part + "'");
      parts.push_back(part);
    }
    start = end + 1;
  }
  if (parts.empty()) return MakeError(ErrorCode::kBuild, "ESP path '" + target + "' names no file");
  return parts;
}

std::string Join(const std::vector<std::string>& parts, std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += "/" + parts[i];
  return s;
}

}  // namespace

std::uint32_t VfatVolumeId(const Uuid& filesystem_uuid) {
  const auto& b = filesystem_uuid.bytes;
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
}

Status MakeVfat(const VfatSpec& spec) {
  const std::string where = "ESP in " + spec.image.string();
  if (spec.offset % 512 != 0 || spec.size % 1024 != 0 || spec.size < 1024 * 1024)
    return MakeError(ErrorCode::kBuild, where + ": offset " + std::to_string(spec.offset) + " must be a multiple of 512, size " +
                                            std::to_string(spec.size) + " a multiple of 1024 and at least 1 MiB");
  if (spec.label.empty() || spec.label.size() > 11)
    return MakeError(ErrorCode::kBuild, where + ": label '" + spec.label + "' must be 1 to 11 characters");

  // Sorted by target: parents come before children and the directory order is fixed.
  std::map<std::string, fs::path> files;
  std::set<std::string> dirs;
  for (const VfatFile& f : spec.files) {
    KILN_ASSIGN_OR_RETURN(std::vector<std::string> parts, SplitTarget(f.target));
    std::string norm = Join(parts, parts.size());
    if (!files.emplace(norm, f.source).second)
      return MakeError(ErrorCode::kBuild, where + ": two files go to " + norm);
    for (std::size_t n = 1; n < parts.size(); ++n) dirs.insert(Join(parts, n));
    if (!fs::is_regular_file(f.source))
      return MakeError(ErrorCode::kInput, where + ": " + f.source.string() + " (for " + norm +
                                              ") is not a readable file");
  }
  // FAT names are case-insensitive: "/EFI/x" and "/efi/y" would collide inside mtools.
  std::map<std::string, std::string> folded;
  auto fold = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
  };
  for (const auto& [path, src] : files)
    if (!folded.emplace(fold(path), path).second)
      return MakeError(ErrorCode::kBuild, where + ": two files go to " + path + " (FAT ignores case)");
  for (const std::string& dir : dirs) {
    auto [it, added] = folded.emplace(fold(dir), dir);
    if (!added && it->second != dir)
      return MakeError(ErrorCode::kBuild, where + ": " + dir + " and " + it->second +
                                              " name the same FAT entry (FAT ignores case)");
    if (!added && files.count(dir))
      return MakeError(ErrorCode::kBuild, where + ": " + dir + " is both a file and a directory");
  }

  KILN_TRY(EnsureImageSize(spec.image, spec.offset + spec.size));
  KILN_ASSIGN_OR_RETURN(TempDir tmp, TempDir::Create({}, "kiln-vfat"));
  // mtools reads ~/.mtoolsrc and $MTOOLSRC; an empty config keeps the host's out of it.
  // FAT times are local time: TZ=UTC makes them the same on every host.
  const fs::path rc = tmp.path() / "mtoolsrc";
  KILN_TRY(WriteFile(rc, "", 0644));
  std::map<std::string, std::string> env = {
      {"TZ", "UTC"}, {"LC_ALL", "C"}, {"MTOOLSRC", rc.string()}, {"HOME", tmp.path().string()}};
  std::vector<std::string> unset = {"MTOOLS_LOWER_CASE", "MTOOLS_FAT_COMPATIBILITY", "MTOOLS_SKIP_CHECK",
                                    "MTOOLS_NO_VFAT", "MTOOLS_NAME_NUMERIC_TAIL", "MTOOLS_TWENTY_FOUR_HOUR_CLOCK",
                                    "MTOOLS_DATE_STRING"};

  ProcessSpec mkfs;
  mkfs.argv = {"mkfs.vfat", "--invariant", "-i", "", "-n", spec.label, "-S", "512",
               "--offset=" + std::to_string(spec.offset / 512),
               // Hidden sectors = partition start, as firmware expects of a partition's FAT.
               "-h", std::to_string(spec.offset / 512)};
  char volid[9];
  std::snprintf(volid, sizeof volid, "%08x", spec.volume_id);
  mkfs.argv[3] = volid;
  if (spec.size >= kFat32MinSize) {
    mkfs.argv.push_back("-F");
    mkfs.argv.push_back("32");
  }
  mkfs.argv.push_back(spec.image.string());
  mkfs.argv.push_back(std::to_string(spec.size / 1024));
  mkfs.env = env;
  mkfs.unset_env = unset;
  KILN_TRY(RunTool(mkfs, where));

  const std::string drive = spec.image.string() + "@@" + std::to_string(spec.offset);
  // mcopy -m takes each entry's time from its source: stage every directory and file with
  // SOURCE_DATE_EPOCH as its mtime (the callers' files keep theirs).
  std::size_t n = 0;
  for (const std::string& dir : dirs) {
    fs::path slot = tmp.path() / ("d" + std::to_string(n++));
    fs::path empty = slot / fs::path(dir).filename();
    std::error_code ec;
    fs::create_directories(empty, ec);
    if (ec) return MakeError(ErrorCode::kIo, "cannot create " + empty.string() + ": " + ec.message());
    KILN_TRY(SetTime(empty, spec.source_date_epoch));
    std::string parent = fs::path(dir).parent_path().string();
    const std::string into = "::" + parent + (parent == "/" ? "" : "/");
    ProcessSpec mkdir = ToolSpec({"mcopy", "-s", "-m", "-Q", "-i", drive, empty.string(), into}, env, unset);
    KILN_TRY(RunTool(mkdir, where + ": creating " + dir));
  }
  for (const auto& [target, source] : files) {
    fs::path staged = tmp.path() / ("f" + std::to_string(n++));
    std::error_code ec;
    fs::copy_file(source, staged, ec);
    if (ec) return MakeError(ErrorCode::kIo, "cannot copy " + source.string() + ": " + ec.message());
    ::chmod(staged.c_str(), 0644);  // FAT keeps a read-only bit from the mode
    KILN_TRY(SetTime(staged, spec.source_date_epoch));
    ProcessSpec cp = ToolSpec({"mcopy", "-m", "-Q", "-i", drive, staged.string(), "::" + target}, env, unset);
    KILN_TRY(RunTool(cp, where + ": copying " + source.string() + " to " + target));
  }
  return OkStatus();
}

}  // namespace kiln::disk
