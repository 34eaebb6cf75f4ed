#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "builder/common/files.h"
#include "builder/common/sha256.h"
#include "builder/disk/convert.h"
#include "builder/disk/gpt.h"
#include "builder/disk/partition_types.h"
#include "builder/slots/slot_table.h"
#include "builder/verify/disk_coverage.h"
#include "builder/verify/image_file.h"
#include "builder/verify/verify.h"
#include "builder/verity/verity_format.h"
#include "signing/verity_signature.h"

namespace kiln::verify {

namespace {

const disk::Partition* FindRole(const disk::DiskLayout& layout, disk::PartitionRole role) {
  for (auto& p : layout.partitions) {
    auto t = disk::FindPartitionType(p.type);
    if (t && t->role == role) return &p;
  }
  return nullptr;
}

// On an A/B disk ([update], docs/updates.md) the root partition is slot_size bytes and the
// verity data ends earlier: the tail must be zero padding, so that no byte of the partition
// changes undetected, and the verity check then covers the data the superblock names.
// False when the tail is not zero (the failure is in the report).
Result<bool> CheckSlotPadding(int fd, const disk::DiskLayout& layout, const disk::Partition& root,
                              const disk::Partition& hash, VerityInputs& in, VerifyReport& report) {
  auto type = disk::FindPartitionType(root.type);
  if (!type || !type->arch || !slots::FindSlots(layout, *type->arch).ok()) return true;
  std::string head(verity::kSuperblockSize, '\0');
  if (hash.size < head.size()) return true;
  KILN_TRY(verity::ReadFullAt(fd, head.data(), head.size(), hash.offset, "root-verity partition"));
  auto sb = verity::DecodeSuperblock(
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(head.data()), head.size()));
  // A bad superblock, or one naming more data than the partition holds: the pair check says so.
  if (!sb.ok() || sb->data_blocks == 0 || sb->data_blocks >= root.size / verity::kBlockSize) return true;
  const std::uint64_t covered = sb->data_blocks * verity::kBlockSize;
  KILN_ASSIGN_OR_RETURN(std::optional<std::uint64_t> junk,
                        FirstNonZeroByte(fd, root.offset + covered, root.size - covered));
  if (junk) {
    report.Fail("root partition", "byte " + std::to_string(covered + *junk) +
                                      " is after the verity data (slot padding) and not zero");
    return false;
  }
  report.Pass("root slot padding", std::to_string(root.size - covered) + " bytes after the verity data are zero");
  in.data_size = covered;
  return true;
}

}  // namespace

Result<VerifyReport> VerifyDiskImage(const VerifyOptions& opt) {
  VerifyReport report{opt.artifact.string(), "disk", {}};
  KILN_ASSIGN_OR_RETURN(OpenImage image, OpenRawImage(opt.artifact, opt.work_dir, opt.allow_external_files));
  std::string note;
  auto layout = disk::ReadGpt(image.fd(), &note);
  if (!layout.ok()) {
    report.Fail("gpt", layout.error().message);
    return report;
  }
  if (!note.empty()) {
    report.Fail("gpt", note);
    return report;
  }
  report.Pass("gpt", std::to_string(layout->partitions.size()) + " partitions, disk " + layout->disk_guid.ToString());

  const disk::Partition* root = FindRole(*layout, disk::PartitionRole::kRoot);
  const disk::Partition* hash = FindRole(*layout, disk::PartitionRole::kRootVerity);
  const disk::Partition* sig = FindRole(*layout, disk::PartitionRole::kRootVeritySig);
  if (!root || !hash) {
    report.Fail("partitions", "no root partition with a root-verity partition");
    return report;
  }
  if (!sig) {
    report.Fail("root-verity-sig", "no signature partition: the image is unsigned");
    return report;
  }
  if (sig->size > kMaxSignaturePartitionSize) {
    report.Fail("root-verity-sig", "signature partition of " + std::to_string(sig->size) + " bytes is larger than " +
                                       std::to_string(kMaxSignaturePartitionSize) + " bytes");
    return report;
  }
  std::string sig_bytes(sig->size, '\0');
  KILN_TRY(verity::ReadFullAt(image.fd(), sig_bytes.data(), sig_bytes.size(), sig->offset, "signature partition"));
  auto parsed = signing::ParseVeritySignature(sig_bytes);
  if (!parsed.ok()) {
    report.Fail("root-verity-sig", parsed.error().message);
    return report;
  }
  // Every byte after the JSON must be NUL padding.
  std::size_t json_end = sig_bytes.find('\0');
  if (json_end != std::string::npos && sig_bytes.find_first_not_of('\0', json_end) != std::string::npos) {
    report.Fail("root-verity-sig", "non-zero bytes after the signature JSON at offset " +
                                       std::to_string(sig_bytes.find_first_not_of('\0', json_end)));
    return report;
  }
  Status sig_ok = signing::VerifyVeritySignature(*parsed, opt.cert);
  if (!sig_ok.ok()) {
    report.Fail("root-verity-sig", sig_ok.error().message);
    return report;
  }
  report.Pass("root-verity-sig", "PKCS#7 signature over root hash " + parsed->root_hash_hex +
                                     " verifies with certificate " + parsed->certificate_fingerprint);

  // systemd pairs root and verity by the halves of the root hash.
  if (ToHex(std::span<const std::uint8_t>(root->uuid.bytes)) !=
      parsed->root_hash_hex.substr(0, 32)) {
    report.Fail("root partition", "partition UUID " + root->uuid.ToString() + " is not the first half of the root hash");
    return report;
  }
  if (ToHex(std::span<const std::uint8_t>(hash->uuid.bytes)) != parsed->root_hash_hex.substr(32)) {
    report.Fail("root-verity partition", "partition UUID " + hash->uuid.ToString() + " is not the last half of the root hash");
    return report;
  }

  VerityInputs in;
  in.data_fd = image.fd();
  in.data_off = root->offset;
  in.data_size = root->size;
  in.hash_fd = image.fd();
  in.hash_off = hash->offset;
  in.hash_size = hash->size;
  in.data_name = "root partition";
  in.hash_name = "root-verity partition";
  KILN_ASSIGN_OR_RETURN(bool padding_ok, CheckSlotPadding(image.fd(), *layout, *root, *hash, in, report));
  if (!padding_ok) return report;
  KILN_TRY(CheckVerityPair(in, parsed->root_hash_hex, opt.jobs, report));
  if (report.ok()) KILN_TRY(CheckDiskCoverage(opt, image.fd(), *layout, parsed->root_hash_hex, report));
  return report;
}

}  // namespace kiln::verify
