#include "builder/disk/convert.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "builder/artifacts/artifacts.h"
#include "builder/common/files.h"
#include "builder/common/sha256.h"
#include "builder/common/subprocess.h"
#include "builder/common/unique_fd.h"
#include "builder/disk/image_file.h"
#include "builder/disk/image_references.h"

namespace kiln::disk {
namespace fs = std::filesystem;
namespace {

// Replaces the value of the CID line (qemu prints it without zero padding, so its length
// varies) and writes the descriptor back, NUL padded to its reserved size.
Status WriteCid(int fd, const fs::path& path, VmdkDescriptor& d, const std::string& cid) {
  std::size_t at = d.text.find("\nCID=");
  if (at == std::string::npos) return MakeError(ErrorCode::kBuild, "no CID line in the vmdk descriptor of " + path.string());
  at += 5;
  std::size_t end = d.text.find('\n', at);
  if (end == std::string::npos) end = d.text.size();
  d.text.replace(at, end - at, cid);
  if (d.text.size() > d.capacity)
    return MakeError(ErrorCode::kBuild, "the vmdk descriptor of " + path.string() + " is full");
  std::string block = d.text;
  block.resize(d.capacity, '\0');
  if (::pwrite(fd, block.data(), block.size(), static_cast<off_t>(d.offset)) != static_cast<ssize_t>(block.size()))
    return MakeError(ErrorCode::kIo, "cannot rewrite the vmdk CID of " + path.string() + ": " + std::strerror(errno));
  return OkStatus();
}

// qemu-img picks the CID at random; use the first 32 bits of the SHA-256 of the file with
// CID=00000000 instead, a content id in the spirit of the field.
Status FixVmdkCid(const fs::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (fd.get() < 0) return MakeError(ErrorCode::kIo, "cannot open " + path.string() + ": " + std::strerror(errno));
  KILN_ASSIGN_OR_RETURN(VmdkDescriptor d, ReadVmdkDescriptor(fd.get(), path));
  KILN_TRY(WriteCid(fd.get(), path, d, "00000000"));
  KILN_ASSIGN_OR_RETURN(Digest digest, Sha256File(path));
  std::string cid = ToHex(std::span<const std::uint8_t>(digest.data(), 4));
  if (cid == "ffffffff") cid = "fffffffe";  // means "no parent" in parentCID
  return WriteCid(fd.get(), path, d, cid);
}

}  // namespace

Status ConvertImage(const fs::path& raw, const fs::path& out, const std::string& format,
                    const std::string& vmdk_subformat) {
  if (format != "qcow2" && format != "vmdk")
    return MakeError(ErrorCode::kBuild, "cannot convert to '" + format + "': only qcow2 and vmdk");
  if (vmdk_subformat != "monolithicSparse" && vmdk_subformat != "streamOptimized")
    return MakeError(ErrorCode::kBuild, "unknown vmdk subformat '" + vmdk_subformat + "'");
  if (!fs::is_regular_file(raw)) return MakeError(ErrorCode::kInput, "raw image " + raw.string() + " does not exist");
  fs::path parent = out.parent_path().empty() ? fs::path(".") : out.parent_path();
  // The vmdk descriptor names its extent file, so the temporary file already has the final
  // name, inside a temporary directory beside out (same file system: rename is atomic).
  KILN_ASSIGN_OR_RETURN(TempDir tmp, TempDir::Create(parent, ".kiln-convert"));
  fs::path staged = tmp.path() / out.filename();
  ProcessSpec ps = ToolSpec({"qemu-img", "convert", "-q", "-f", "raw", "-O", format}, {{"LC_ALL", "C"}}, {});
  if (format == "vmdk") {
    ps.argv.push_back("-o");
    ps.argv.push_back("subformat=" + vmdk_subformat);
  }
  ps.argv.push_back(raw.string());
  ps.argv.push_back(staged.string());
  KILN_TRY(RunTool(ps, "converting " + raw.string() + " to " + format));
  if (format == "vmdk") KILN_TRY(FixVmdkCid(staged));
  ::chmod(staged.c_str(), 0644);
  std::error_code ec;
  fs::rename(staged, out, ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot rename into " + out.string() + ": " + ec.message());
  return OkStatus();
}

Result<fs::path> ToRaw(const fs::path& image, const fs::path& dir, const std::string& format,
                       bool allow_external_files) {
  if (!fs::is_regular_file(image)) return MakeError(ErrorCode::kInput, "disk image " + image.string() + " does not exist");
  if (format != "qcow2" && format != "vmdk" && format != "raw")
    return MakeError(ErrorCode::kInput, "disk image " + image.string() + ": unknown format '" + format + "'");
  if (!allow_external_files) KILN_TRY(CheckSelfContained(image, format));
  fs::path out = dir / artifacts::FileName(artifacts::Role::kDiskImage, image.stem().string());
  // An explicit -f: qemu-img must never probe a format from untrusted bytes.
  ProcessSpec ps = ToolSpec({"qemu-img", "convert", "-q", "-f", format, "-O", "raw"}, {{"LC_ALL", "C"}}, {});
  ps.argv.push_back(image.string());
  ps.argv.push_back(out.string());
  KILN_TRY(RunTool(ps, "converting " + image.string() + " to raw", ErrorCode::kInput));
  return out;
}

}  // namespace kiln::disk
