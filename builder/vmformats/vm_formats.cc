#include "builder/vmformats/vm_formats.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "builder/artifacts/artifacts.h"
#include "builder/common/files.h"
#include "builder/disk/convert.h"
#include "builder/disk/image_file.h"
#include "builder/vmformats/bmap.h"
#include "builder/vmformats/file_io.h"
#include "builder/vmformats/gce.h"
#include "builder/vmformats/ova.h"
#include "builder/vmformats/vhd.h"
#include "builder/vmformats/vhdx.h"

namespace kiln::vmformats {

namespace fs = std::filesystem;

namespace {

// qemu-img compare: exit 0 same content, 1 different, anything else an error. Reads both
// images block by block; keeps nothing.
Status QemuCompare(const std::string& image, const std::string& format, const fs::path& raw, const std::string& what) {
  ProcessSpec ps = disk::ToolSpec({"qemu-img", "compare", "-q", "-f", format, "-F", "raw", image, raw.string()},
                                  {{"LC_ALL", "C"}}, {});
  auto r = RunProcess(ps);
  if (!r.ok()) return r.error();
  if (r->exit_code == 1) return MakeError(ErrorCode::kIntegrity, what + ": its content differs from " + raw.filename().string());
  if (r->exit_code != 0)
    return MakeError(ErrorCode::kIntegrity, what + ": qemu-img cannot compare it as " + format + " (exit " + std::to_string(r->exit_code) + ")");
  return OkStatus();
}

Status CheckVhd(const fs::path& vhd, const fs::path& raw) {
  std::error_code ec;
  const std::uint64_t size = fs::file_size(vhd, ec), raw_size = fs::file_size(raw, ec);
  if (ec || size < kVhdFooterSize) return MakeError(ErrorCode::kIntegrity, vhd.string() + ": too small for a VHD");
  KILN_ASSIGN_OR_RETURN(UniqueFd fd, OpenForReading(vhd));
  std::string footer(kVhdFooterSize, '\0');
  KILN_TRY(ReadAt(fd.get(), footer.data(), footer.size(), size - kVhdFooterSize, vhd.string()));
  auto parsed = ParseVhdFooter(footer);
  if (!parsed.ok()) return MakeError(ErrorCode::kIntegrity, vhd.string() + ": " + parsed.error().message);
  if (parsed->current_size != VhdVirtualSize(raw_size) || size != parsed->current_size + kVhdFooterSize)
    return MakeError(ErrorCode::kIntegrity, vhd.string() + ": virtual size " + std::to_string(parsed->current_size) +
                                                " is not the raw image's size rounded up to a MiB, or the footer is not at its end");
  return QemuCompare(vhd.string(), "vpc", raw, vhd.string());
}

Status CheckOvaDisk(const fs::path& ova, const fs::path& raw) {
  KILN_ASSIGN_OR_RETURN(OvaDiskExtent extent, CheckOva(ova));
  KILN_ASSIGN_OR_RETURN(UniqueFd fd, OpenForReading(ova));
  std::string head(static_cast<std::size_t>(std::min<std::uint64_t>(extent.size, 64 * 1024)), '\0');
  KILN_TRY(ReadAt(fd.get(), head.data(), head.size(), extent.offset, ova.string()));
  if (head.find("createType=\"streamOptimized\"") == std::string::npos)
    return MakeError(ErrorCode::kIntegrity, ova.string() + ": the disk inside is not a streamOptimized VMDK");
  // qemu reads the VMDK in place through a raw window onto the tar.
  nlohmann::json spec = {{"driver", "vmdk"},
                         {"file", {{"driver", "raw"}, {"offset", extent.offset}, {"size", extent.size},
                                   {"file", {{"driver", "file"}, {"filename", fs::absolute(ova).string()}}}}}};
  return QemuCompare("json:" + spec.dump(), "vmdk", raw, ova.string());
}

Status CheckBmap(const fs::path& bmap, const fs::path& raw) {
  std::error_code ec;
  if (fs::file_size(bmap, ec) > (64 << 20)) return MakeError(ErrorCode::kIntegrity, bmap.string() + ": too large");
  KILN_ASSIGN_OR_RETURN(std::string text, ReadFile(bmap));
  KILN_ASSIGN_OR_RETURN(BlockMap map, ComputeBlockMap(raw));
  if (text != FormatBmap(map)) return MakeError(ErrorCode::kIntegrity, bmap.string() + ": not the block map of " + raw.filename().string());
  return OkStatus();
}

}  // namespace

const std::vector<std::string>& VmFormatNames() {
  static const std::vector<std::string> names = {"qcow2", "vmdk", "vhd", "vhdx", "gce", "ova"};
  return names;
}

std::string VmFormatFileName(const std::string& format, const std::string& base) {
  const artifacts::ArtifactKind* kind = artifacts::KindOfFormat(format);
  return kind ? base + std::string(kind->suffix) : base + "." + format;
}

std::string VmFormatOfFile(const std::string& file_name) {
  const artifacts::ArtifactKind* kind = artifacts::KindOfFile(file_name);
  if (!kind || (kind->role != artifacts::Role::kVmImage && kind->role != artifacts::Role::kBlockMap)) return "";
  return std::string(kind->format);
}

Status WriteVmFormat(const std::string& format, const fs::path& raw, const fs::path& out, const VmFormatInputs& in) {
  if (format == "qcow2") return disk::ConvertImage(raw, out, "qcow2");
  if (format == "vmdk") return disk::ConvertImage(raw, out, "vmdk", in.vmdk_subformat);
  if (format == "vhd") return WriteVhd(raw, out, in.source_date_epoch, in.seed);
  if (format == "vhdx") return WriteVhdx(raw, out, in.seed);
  if (format == "gce") return WriteGceArchive(raw, out, in.source_date_epoch, in.jobs);
  if (format == "ova") return WriteOva(raw, out, in);
  if (format == "bmap") {
    KILN_ASSIGN_OR_RETURN(BlockMap map, ComputeBlockMap(raw));
    return WriteFile(out, FormatBmap(map));
  }
  return MakeError(ErrorCode::kBuild, "unknown VM format '" + format + "'");
}

Status CheckVmFormat(const fs::path& artifact, const fs::path& raw) {
  const std::string format = VmFormatOfFile(artifact.filename().string());
  if (format == "qcow2" || format == "vmdk" || format == "vhdx") return QemuCompare(artifact.string(), format, raw, artifact.string());
  if (format == "vhd") return CheckVhd(artifact, raw);
  if (format == "gce") return CheckGceArchive(artifact, raw);
  if (format == "ova") return CheckOvaDisk(artifact, raw);
  if (format == "bmap") return CheckBmap(artifact, raw);
  return MakeError(ErrorCode::kUsage, artifact.string() + " is not a VM format kiln writes");
}

}  // namespace kiln::vmformats
