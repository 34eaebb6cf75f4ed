#include "builder/diff/partition_diff.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <algorithm>
#include <map>
#include <vector>

#include "builder/common/sha256.h"
#include "builder/disk/partition_types.h"

namespace kiln::diff {
namespace {

std::string Hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// Keys partitions by type name, with "#2", "#3" for the second and third of a type, so a
// reordering of unrelated partitions does not look like a change.
std::map<std::string, const disk::Partition*> ByName(const disk::DiskLayout& l) {
  std::map<std::string, const disk::Partition*> out;
  std::map<std::string, int> seen;
  for (const auto& p : l.partitions) {
    std::string name = disk::PartitionTypeName(p.type);
    int n = ++seen[name];
    out[n == 1 ? name : name + "#" + std::to_string(n)] = &p;
  }
  return out;
}

void AddField(std::vector<FieldChange>* fields, const char* field, const std::string& a, const std::string& b) {
  if (a != b) fields->push_back({field, a, b});
}

Result<std::string> HashRange(const std::filesystem::path& path, std::uint64_t offset, std::uint64_t size) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(ErrorCode::kInput, "cannot open " + path.string());
  in.seekg(static_cast<std::streamoff>(offset));
  Sha256 h;
  std::vector<char> buf(1 << 20);
  while (size > 0) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(size, buf.size()));
    in.read(buf.data(), static_cast<std::streamsize>(n));
    if (static_cast<std::size_t>(in.gcount()) != n)
      return MakeError(ErrorCode::kInput, path.string() + " ends inside a partition at byte " + std::to_string(offset));
    h.Update(buf.data(), n);
    size -= n;
    offset += n;
  }
  return ToHex(h.Finish());
}

}  // namespace

bool LooksLikeGptDisk(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  char sig[8] = {};
  in.seekg(512);
  in.read(sig, 8);
  return in && std::memcmp(sig, "EFI PART", 8) == 0;
}

Result<disk::DiskLayout> ReadDiskLayout(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return MakeError(ErrorCode::kInput, "cannot open " + path.string() + ": " + std::strerror(errno));
  auto layout = disk::ReadGpt(fd);
  ::close(fd);
  return std::move(layout).WithContext("reading the partition table of " + path.string());
}

Result<std::uint64_t> RootPartitionOffset(const disk::DiskLayout& layout, const std::filesystem::path& path) {
  for (auto role : {disk::PartitionRole::kRoot, disk::PartitionRole::kUsr}) {
    for (const auto& p : layout.partitions) {
      auto t = disk::FindPartitionType(p.type);
      if (t && t->role == role) return p.offset;
    }
  }
  return MakeError(ErrorCode::kInput, path.string() + " has no root or /usr partition");
}

Status DiffPartitionTables(const disk::DiskLayout& a, const std::filesystem::path& a_path,
                           const disk::DiskLayout& b, const std::filesystem::path& b_path, ImageDiff* out) {
  if (a.size_bytes != b.size_bytes) {
    out->partitions.push_back(
        {"disk", ChangeKind::kChanged, {{"size", std::to_string(a.size_bytes), std::to_string(b.size_bytes)}}});
  }
  if (a.disk_guid != b.disk_guid)
    out->identity.push_back("disk GUID " + a.disk_guid.ToString() + " -> " + b.disk_guid.ToString());
  auto pa = ByName(a);
  auto pb = ByName(b);
  for (const auto& [name, p] : pa) {
    auto it = pb.find(name);
    if (it == pb.end()) {
      out->partitions.push_back({name, ChangeKind::kRemoved, {}});
      continue;
    }
    const disk::Partition& q = *it->second;
    PartitionChange c{name, ChangeKind::kChanged, {}};
    if (!a_path.empty() && !b_path.empty()) {
      KILN_ASSIGN_OR_RETURN(std::string ha, HashRange(a_path, p->offset, p->size));
      KILN_ASSIGN_OR_RETURN(std::string hb, HashRange(b_path, q.offset, q.size));
      AddField(&c.fields, "content", ha, hb);
    }
    AddField(&c.fields, "size", std::to_string(p->size), std::to_string(q.size));
    AddField(&c.fields, "offset", std::to_string(p->offset), std::to_string(q.offset));
    AddField(&c.fields, "label", p->label, q.label);
    AddField(&c.fields, "attributes", Hex(p->attributes), Hex(q.attributes));
    if (!c.fields.empty()) out->partitions.push_back(std::move(c));
    if (p->uuid != q.uuid)
      out->identity.push_back("partition " + name + " UUID " + p->uuid.ToString() + " -> " + q.uuid.ToString());
  }
  for (const auto& [name, q] : pb) {
    if (!pa.count(name)) out->partitions.push_back({name, ChangeKind::kAdded, {}});
  }
  return OkStatus();
}

}  // namespace kiln::diff
