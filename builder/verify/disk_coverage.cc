#include "builder/verify/disk_coverage.h"

#include <system_error>

#include "builder/artifacts/artifacts.h"
#include "builder/disk/partition_types.h"

namespace kiln::verify {

namespace fs = std::filesystem;

namespace {

// NAME.manifest.json beside NAME.raw, NAME.qcow2 or NAME.vmdk; empty when there is none.
fs::path SiblingManifest(const fs::path& image) {
  const std::string name = image.filename().string();
  const artifacts::ArtifactKind* kind = artifacts::KindOfFile(name);
  // Only the formats whose partitions kiln verify reads in place.
  if (!kind || (kind->format != "raw" && kind->format != "qcow2" && kind->format != "vmdk")) return {};
  fs::path m = image.parent_path() /
               artifacts::FileName(artifacts::Role::kManifest, name.substr(0, name.size() - kind->suffix.size()));
  std::error_code ec;
  if (fs::exists(m, ec)) return m;
  return {};
}

// The partition table as the signed manifest records it (same partitions, types, places).
std::string LayoutDifference(const manifest::BuildManifest& m, const disk::DiskLayout& layout) {
  if (m.disk_guid != layout.disk_guid.ToString()) return "disk GUID " + layout.disk_guid.ToString() + " is not the signed " + m.disk_guid;
  if (m.partitions.size() != layout.partitions.size())
    return std::to_string(layout.partitions.size()) + " partitions, the manifest records " + std::to_string(m.partitions.size());
  for (std::size_t i = 0; i < layout.partitions.size(); ++i) {
    const auto& p = layout.partitions[i];
    const auto& e = m.partitions[i];
    if (p.uuid.ToString() != e.uuid || p.type.ToString() != e.type_uuid || p.offset != e.offset || p.size != e.size)
      return "partition " + std::to_string(i + 1) + " (" + e.name + ") differs from the manifest's in type, UUID, offset or size";
  }
  return {};
}

}  // namespace

Status CheckDiskCoverage(const VerifyOptions& opt, int image_fd, const disk::DiskLayout& layout,
                         const std::string& root_hash_hex, VerifyReport& report) {
  fs::path manifest_path = opt.manifest.empty() ? SiblingManifest(opt.artifact) : opt.manifest;
  std::optional<SignedManifest> signed_manifest;
  if (!manifest_path.empty()) {
    KILN_ASSIGN_OR_RETURN(signed_manifest, LoadSignedManifest(manifest_path, opt.cert, report));
    if (!signed_manifest) return OkStatus();  // the failure is in the report
    if (signed_manifest->manifest.root_hash != root_hash_hex) {
      report.Fail("manifest", manifest_path.filename().string() + " records root hash " +
                                  signed_manifest->manifest.root_hash + ", not the image's " + root_hash_hex);
      return OkStatus();
    }
    if (std::string diff = LayoutDifference(signed_manifest->manifest, layout); !diff.empty()) {
      report.Fail("partition table", diff);
      return OkStatus();
    }
    report.Pass("partition table", std::to_string(layout.partitions.size()) + " partitions as " +
                                       manifest_path.filename().string() + " records them");
  } else {
    report.NotCovered("partition table", "no signed manifest beside the image (--manifest) to compare it with");
  }
  for (const auto& p : layout.partitions) {
    auto type = disk::FindPartitionType(p.type);
    const std::string name = type ? type->name : p.type.ToString();
    if (!type) {
      report.NotCovered("partition " + name, "unknown partition type: not covered by any signature");
      continue;
    }
    switch (type->role) {
      case disk::PartitionRole::kRoot:
      case disk::PartitionRole::kRootVerity:
      case disk::PartitionRole::kRootVeritySig:
        break;  // checked above against the signed root hash
      case disk::PartitionRole::kEsp:
        if (!signed_manifest) {
          report.NotCovered("esp", "no signed manifest (--manifest, or one beside the image) records its files");
        } else if (signed_manifest->manifest.esp_files.empty()) {
          report.NotCovered("esp", "the signed manifest records no ESP files (no boot loader, or an older kiln)");
        } else {
          KILN_TRY(CheckEspFiles(image_fd, p.offset, signed_manifest->manifest.esp_files, opt.work_dir, report));
          if (!report.ok()) return OkStatus();
        }
        break;
      case disk::PartitionRole::kLinuxGeneric:
      case disk::PartitionRole::kVar:
      case disk::PartitionRole::kSrv:
      case disk::PartitionRole::kHome:
        report.Writable("partition " + name, "the data partition: writable by design, its content is not signed");
        break;
      default:
        report.NotCovered("partition " + name, "not covered by any signature");
        break;
    }
  }
  return OkStatus();
}

}  // namespace kiln::verify
