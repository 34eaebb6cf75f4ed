#include "builder/diff/image_diff.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <tuple>

#include "builder/diff/oci_listing.h"
#include "builder/diff/partition_diff.h"
#include "builder/diff/squashfs_listing.h"

namespace kiln::diff {
namespace {

std::string Octal(std::uint32_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", mode);
  return buf;
}

bool IsSquashfs(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  return in && std::memcmp(magic, "hsqs", 4) == 0;
}

struct Side {
  std::string kind;
  std::optional<disk::DiskLayout> layout;
  RootListing root;
  std::optional<OciListing> oci;  // root moved out; config and manifest digest left
};

Side FromOci(std::string kind, OciListing listing) {
  Side s;
  s.kind = std::move(kind);
  s.root = std::move(listing.root);
  s.oci = std::move(listing);
  return s;
}

Result<Side> ReadSide(const std::filesystem::path& path, const std::filesystem::path& work_dir) {
  std::error_code ec;
  if (LooksLikeOciLayout(path)) {
    KILN_ASSIGN_OR_RETURN(OciListing listing, ReadOciLayout(path));
    return FromOci("oci", std::move(listing));
  }
  if (!std::filesystem::is_regular_file(path, ec))
    return MakeError(ErrorCode::kInput, path.string() + " is neither a file nor an OCI layout directory");
  Side s;
  if (IsSquashfs(path)) {
    s.kind = "squashfs";
    KILN_ASSIGN_OR_RETURN(s.root, ReadSquashfsListing(path, 0));
    return s;
  }
  if (LooksLikeGptDisk(path)) {
    s.kind = "disk";
    KILN_ASSIGN_OR_RETURN(s.layout, ReadDiskLayout(path));
    KILN_ASSIGN_OR_RETURN(std::uint64_t offset, RootPartitionOffset(*s.layout, path));
    KILN_ASSIGN_OR_RETURN(s.root, ReadSquashfsListing(path, offset));
    return s;
  }
  if (LooksLikeTar(path)) {
    KILN_ASSIGN_OR_RETURN(OciListing listing, ReadOciArchive(path, work_dir));
    return FromOci("oci-archive", std::move(listing));
  }
  return MakeError(ErrorCode::kInput, path.string() +
                                          " is neither a raw GPT disk image, a squashfs file nor an OCI image "
                                          "(convert qcow2/vmdk to raw first)");
}

}  // namespace

const char* ChangeKindName(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kAdded: return "added";
    case ChangeKind::kRemoved: return "removed";
    case ChangeKind::kChanged: return "changed";
  }
  return "changed";
}

std::vector<FileChange> DiffFiles(const RootListing& a, const RootListing& b) {
  std::vector<FileChange> out;
  auto ia = a.files.begin();
  auto ib = b.files.begin();
  // Both maps are sorted by path: one merge pass.
  while (ia != a.files.end() || ib != b.files.end()) {
    if (ib == b.files.end() || (ia != a.files.end() && ia->first < ib->first)) {
      out.push_back({"/" + ia->first, ChangeKind::kRemoved, ia->second, std::nullopt, {}});
      ++ia;
    } else if (ia == a.files.end() || ib->first < ia->first) {
      out.push_back({"/" + ib->first, ChangeKind::kAdded, std::nullopt, ib->second, {}});
      ++ib;
    } else {
      const FileState& x = ia->second;
      const FileState& y = ib->second;
      FileChange c{"/" + ia->first, ChangeKind::kChanged, x, y, {}};
      if (x.type != y.type) {
        c.fields.push_back({"type", std::string(1, x.type), std::string(1, y.type)});
      } else {
        if (x.sha256 != y.sha256) c.fields.push_back({"content", x.sha256, y.sha256});
        if (x.target != y.target) c.fields.push_back({"target", x.target, y.target});
        if (x.device != y.device) c.fields.push_back({"device", x.device, y.device});
      }
      if (x.mode != y.mode) c.fields.push_back({"mode", Octal(x.mode), Octal(y.mode)});
      if (x.uid != y.uid || x.gid != y.gid)
        c.fields.push_back({"owner", std::to_string(x.uid) + ":" + std::to_string(x.gid),
                            std::to_string(y.uid) + ":" + std::to_string(y.gid)});
      if (!c.fields.empty()) out.push_back(std::move(c));
      ++ia;
      ++ib;
    }
  }
  return out;
}

void DiffPackages(const RootListing& a, const RootListing& b, ImageDiff* out) {
  using Key = std::pair<std::string, std::string>;  // name, architecture
  std::map<Key, std::string> va, vb;
  for (const auto& p : a.packages) va[{p.name, p.architecture}] = p.version;
  for (const auto& p : b.packages) vb[{p.name, p.architecture}] = p.version;
  for (const auto& [k, v] : va) {
    auto it = vb.find(k);
    if (it == vb.end()) out->packages_removed.push_back({k.first, k.second, v, ""});
    else if (it->second != v) out->packages_upgraded.push_back({k.first, k.second, v, it->second});
  }
  for (const auto& [k, v] : vb) {
    if (!va.count(k)) out->packages_added.push_back({k.first, k.second, "", v});
  }
}

std::vector<FieldChange> DiffConfig(const std::map<std::string, std::string>& a,
                                    const std::map<std::string, std::string>& b) {
  std::vector<FieldChange> out;
  for (const auto& [k, v] : a) {
    auto it = b.find(k);
    if (it == b.end()) out.push_back({k, v, ""});
    else if (it->second != v) out.push_back({k, v, it->second});
  }
  for (const auto& [k, v] : b)
    if (!a.count(k)) out.push_back({k, "", v});
  std::sort(out.begin(), out.end(), [](const FieldChange& x, const FieldChange& y) { return x.field < y.field; });
  return out;
}

Result<ImageDiff> DiffImages(const std::filesystem::path& a, const std::filesystem::path& b,
                             const std::filesystem::path& work_dir) {
  KILN_ASSIGN_OR_RETURN(Side sa, ReadSide(a, work_dir));
  KILN_ASSIGN_OR_RETURN(Side sb, ReadSide(b, work_dir));
  ImageDiff d;
  d.a = a.string();
  d.b = b.string();
  d.kind_a = sa.kind;
  d.kind_b = sb.kind;
  // OCI layers need not carry the root directory itself; compare it only when both have it.
  if (!sa.root.files.count("") || !sb.root.files.count("")) {
    sa.root.files.erase("");
    sb.root.files.erase("");
  }
  DiffPackages(sa.root, sb.root, &d);
  d.files = DiffFiles(sa.root, sb.root);
  if (sa.layout && sb.layout) {
    KILN_TRY(DiffPartitionTables(*sa.layout, a, *sb.layout, b, &d));
  }
  if (sa.oci && sb.oci) {
    d.config = DiffConfig(sa.oci->config, sb.oci->config);
    if (sa.oci->manifest_digest != sb.oci->manifest_digest)
      d.identity.push_back("manifest " + sa.oci->manifest_digest + " -> " + sb.oci->manifest_digest);
  }
  return d;
}

}  // namespace kiln::diff
