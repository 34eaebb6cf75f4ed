#include "builder/pipeline/manifest_assembly.h"

#include <algorithm>

#include "builder/common/files.h"
#include "builder/common/sha256.h"
#include "builder/disk/partition_types.h"
#include "builder/pipeline/artifact_entries.h"
#include "builder/pipeline/pipeline.h"
#include "signing/pkcs7.h"

namespace kiln::pipeline {

namespace fs = std::filesystem;
using artifacts::Role;

Result<manifest::BuildManifest> StartManifest(const recipe::Recipe& recipe, const BuildIdentity& id,
                                              std::int64_t source_date_epoch,
                                              std::vector<manifest::PackageEntry> packages, const Signer* signer) {
  manifest::BuildManifest m;
  m.kiln_version = KilnVersion();
  m.image_name = recipe.image.name;
  m.image_version = recipe.image.version;
  m.architecture = recipe::ArchitectureName(recipe.image.architecture);
  m.recipe = recipe.file.filename().string();
  KILN_ASSIGN_OR_RETURN(m.recipe_sha256, RecipeDigest(recipe));
  m.inputs = id.inputs;
  m.seed = ToHex(std::span<const std::uint8_t>(id.seed));
  m.source_date_epoch = source_date_epoch;
  m.packages = std::move(packages);
  if (recipe.data) m.data_mountpoint = recipe.data->mountpoint;
  if (signer) m.certificate_fingerprint = signing::CertificateFingerprintSha256(signer->cert);
  return m;
}

Status RecordDisk(manifest::BuildManifest& m, const DiskImageResult& disk) {
  for (const auto& f : disk.esp_files) {
    KILN_ASSIGN_OR_RETURN(Digest d, Sha256File(f.source));
    std::error_code ec;
    m.esp_files.push_back({f.target, fs::file_size(f.source, ec), ToHex(d)});
  }
  std::sort(m.esp_files.begin(), m.esp_files.end(),
            [](const manifest::EspFileEntry& a, const manifest::EspFileEntry& b) { return a.path < b.path; });
  m.root_hash = disk.root_hash_hex;
  m.disk_guid = disk.layout.disk_guid.ToString();
  m.disk_size = disk.layout.size_bytes;
  for (auto& p : disk.layout.partitions) {
    m.partitions.push_back({disk::PartitionTypeName(p.type), p.type.ToString(), p.uuid.ToString(), p.label, p.offset,
                            p.size, p.attributes, disk::PartitionContentName(p.type)});
  }
  return OkStatus();
}

Result<SumsUpdate> WriteManifest(const manifest::BuildManifest& m, const Signer* signer, BuildOutputs& outputs) {
  SumsUpdate sums{m.artifacts, outputs.Name(Role::kManifest)};
  const std::string manifest_json = manifest::ToJson(m);
  KILN_TRY(outputs.Write(Role::kManifest, manifest_json));
  KILN_ASSIGN_OR_RETURN(auto ma, DescribeArtifact(outputs.staging_dir(), outputs.Name(Role::kManifest)));
  sums.entries.push_back(std::move(ma));
  if (signer) {
    KILN_ASSIGN_OR_RETURN(std::string p7s, signing::SignPkcs7Detached(manifest_json, signer->key, signer->cert));
    KILN_TRY(outputs.Write(Role::kManifestSignature, p7s));
    KILN_ASSIGN_OR_RETURN(auto sa, DescribeArtifact(outputs.staging_dir(), outputs.Name(Role::kManifestSignature)));
    sums.entries.push_back(std::move(sa));
  }
  return sums;
}

}  // namespace kiln::pipeline
