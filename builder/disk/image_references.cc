#include "builder/disk/image_references.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "builder/common/text_escape.h"
#include "builder/common/unique_fd.h"
#include "builder/disk/image_file.h"

namespace kiln::disk {
namespace fs = std::filesystem;
namespace {

using nlohmann::json;

// vmdk sparse header (VMware "Virtual Disk Format 1.1"): magic "KDMV", descriptor offset
// and size in sectors at bytes 28 and 36 (little-endian 64-bit).
constexpr char kVmdkMagic[4] = {'K', 'D', 'M', 'V'};

std::uint64_t GetLe64(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

std::uint64_t GetBe(const unsigned char* p, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

Error Refuse(const fs::path& image, const std::string& what) {
  return MakeError(ErrorCode::kInput, "disk image " + image.string() + " refers to " + EscapeForTerminal(what) +
                                          ": kiln does not read other host files for an image "
                                          "(flatten it with qemu-img convert, or pass --allow-backing-file)");
}

// qcow2 header (qemu docs/interop/qcow2.txt): backing_file_offset at byte 8 (u64 BE),
// version at 4, incompatible_features at 72 (version 3), bit 2: external data file.
Status CheckQcow2Header(int fd, const fs::path& image) {
  unsigned char h[80] = {};
  ssize_t n = ::pread(fd, h, sizeof h, 0);
  if (n < 32) return MakeError(ErrorCode::kInput, "disk image " + image.string() + ": truncated qcow2 header");
  if (GetBe(h + 8, 8) != 0) return Refuse(image, "a backing file");
  if (GetBe(h + 4, 4) >= 3 && n >= 80 && (GetBe(h + 72, 8) & 4)) return Refuse(image, "an external data file");
  return OkStatus();
}

// Only self-contained sparse vmdks: no parent, and the descriptor describes this file alone.
Status CheckVmdkDescriptor(int fd, const fs::path& image) {
  KILN_ASSIGN_OR_RETURN(VmdkDescriptor d, ReadVmdkDescriptor(fd, image));
  std::size_t pos = 0;
  while (pos < d.text.size()) {
    std::size_t end = d.text.find('\n', pos);
    if (end == std::string::npos) end = d.text.size();
    std::string line = d.text.substr(pos, end - pos);
    pos = end + 1;
    if (line.rfind("parentCID=", 0) == 0 && line.substr(10, 8) != "ffffffff") return Refuse(image, "a parent image");
    if (line.rfind("parentFileNameHint", 0) == 0) return Refuse(image, "a parent image");
    if (line.rfind("createType=", 0) == 0 && line != "createType=\"monolithicSparse\"" &&
        line != "createType=\"streamOptimized\"")
      return Refuse(image, "extent files (" + line + ")");
  }
  return OkStatus();
}

}  // namespace

Result<VmdkDescriptor> ReadVmdkDescriptor(int fd, const fs::path& path) {
  unsigned char header[512];
  if (::pread(fd, header, sizeof header, 0) != static_cast<ssize_t>(sizeof header) ||
      std::memcmp(header, kVmdkMagic, 4) != 0)
    return MakeError(ErrorCode::kInput, path.string() + " is not a sparse vmdk (no KDMV header)");
  VmdkDescriptor d;
  const std::uint64_t sector = GetLe64(header + 28), sectors = GetLe64(header + 36);
  if (sectors == 0 || sectors > 2048 || sector > (std::uint64_t{1} << 40))
    return MakeError(ErrorCode::kInput, path.string() + " has no embedded vmdk descriptor");
  d.offset = sector * 512;
  d.capacity = sectors * 512;
  d.text.assign(d.capacity, '\0');
  if (::pread(fd, d.text.data(), d.text.size(), static_cast<off_t>(d.offset)) != static_cast<ssize_t>(d.capacity))
    return MakeError(ErrorCode::kInput, "cannot read the vmdk descriptor of " + path.string());
  d.text.resize(d.text.find('\0') == std::string::npos ? d.capacity : d.text.find('\0'));
  return d;
}

std::string ExternalReferenceInInfo(std::string_view info_json, const fs::path& image) {
  json j = json::parse(info_json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return "an unreadable qemu-img info";
  for (const char* key : {"backing-filename", "full-backing-filename"}) {
    auto it = j.find(key);
    if (it != j.end() && it->is_string()) return "backing file " + it->get<std::string>();
  }
  auto spec = j.find("format-specific");
  if (spec == j.end() || !spec->is_object()) return "";
  auto data = spec->find("data");
  if (data == spec->end() || !data->is_object()) return "";
  auto file = data->find("data-file");
  if (file != data->end() && file->is_string()) return "data file " + file->get<std::string>();
  auto extents = data->find("extents");
  if (extents != data->end() && extents->is_array()) {
    for (const auto& e : *extents) {
      if (!e.is_object()) continue;
      auto name = e.find("filename");
      if (name != e.end() && name->is_string() && fs::path(name->get<std::string>()) != image)
        return "extent file " + name->get<std::string>();
    }
  }
  return "";
}

Status CheckSelfContained(const fs::path& image, const std::string& format) {
  if (format == "raw") return OkStatus();
  UniqueFd fd(::open(image.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return MakeError(ErrorCode::kInput, "cannot open " + image.string() + ": " + std::strerror(errno));
  if (format == "qcow2") KILN_TRY(CheckQcow2Header(fd.get(), image));
  if (format == "vmdk") KILN_TRY(CheckVmdkDescriptor(fd.get(), image));
  // The headers are clean; qemu-img's own reading of them must agree.
  ProcessSpec ps = ToolSpec({"qemu-img", "info", "--output=json", "-f", format, image.string()}, {{"LC_ALL", "C"}}, {});
  KILN_ASSIGN_OR_RETURN(ProcessResult info, RunTool(ps, "inspecting " + image.string(), ErrorCode::kInput));
  std::string ref = ExternalReferenceInInfo(info.out, image);
  if (!ref.empty()) return Refuse(image, ref);
  return OkStatus();
}

}  // namespace kiln::disk
