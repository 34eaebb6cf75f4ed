#include "builder/disk/layout.h"

#include <map>
#include <optional>
#include <utility>

#include "builder/common/size.h"

namespace kiln::disk {

namespace {

Error TooLarge(const char* what, std::uint64_t size) {
  return MakeError(ErrorCode::kBuild, std::string("disk layout: ") + what + " size " + std::to_string(size) +
                                          " bytes is larger than " + kMaxSizeText + ", the largest kiln supports");
}

Error Overflow() { return MakeError(ErrorCode::kBuild, "disk layout: partition offsets overflow 64 bits"); }

// Every size bounded by kMaxSize keeps the sums below far from 2^63 (off_t); the checked
// arithmetic is a second guard for inputs built in code.
Status CheckSizes(const LayoutInputs& in) {
  const std::pair<const char*, std::uint64_t> sizes[] = {
      {"ESP", in.esp_size},       {"root partition", in.root_size}, {"verity partition", in.verity_size},
      {"signature partition", in.verity_sig_size}, {"data partition", in.data_size}, {"disk", in.disk_size},
      {"slot", in.slot_size}, {"slot verity partition", in.slot_verity_size}};
  for (const auto& [what, size] : sizes)
    if (size > kMaxSize) return TooLarge(what, size);
  return OkStatus();
}

// An A/B slot holds any root up to slot_size; this build's root and tree must fit it.
Status CheckSlotFits(const LayoutInputs& in) {
  auto too_big = [](const char* what, std::uint64_t size, std::uint64_t slot) {
    return MakeError(ErrorCode::kBuild, std::string("disk layout: the ") + what + " (" + std::to_string(size) +
                                            " bytes, " + FormatSize(size) + ") does not fit its slot partition (" +
                                            std::to_string(slot) + " bytes, " + FormatSize(slot) + ")");
  };
  if (in.root_size > in.slot_size) return too_big("root file system", in.root_size, in.slot_size);
  if (in.verity_size > in.slot_verity_size) return too_big("verity hash tree", in.verity_size, in.slot_verity_size);
  if (in.verity_sig_size == 0)
    return MakeError(ErrorCode::kBuild, "disk layout: A/B slots need the signature partition (a signed build)");
  return OkStatus();
}

}  // namespace

Result<std::uint64_t> RootOffset(bool has_esp, std::uint64_t esp_size) {
  std::uint64_t offset = kPartitionAlignment;  // after the primary GPT
  if (has_esp) {
    if (esp_size > kMaxSize) return TooLarge("ESP", esp_size);
    offset += AlignUp(esp_size, kPartitionAlignment);
  }
  return offset;
}

Uuid DataPartitionUuid(const Seed& seed, Architecture arch) {
  return PartitionUuid(seed, PartitionTypeUuid(PartitionRole::kLinuxGeneric, arch), 0);
}

Result<DiskLayout> PlanLayout(const LayoutInputs& in) {
  if (in.root_size == 0) return MakeError(ErrorCode::kBuild, "disk layout: the root partition is empty");
  KILN_TRY(CheckSizes(in));
  const bool ab = in.slot_size > 0;
  if (ab) KILN_TRY(CheckSlotFits(in));

  DiskLayout layout;
  layout.disk_guid = DiskGuid(in.seed);
  std::map<Uuid, std::uint64_t> per_type;  // n for PartitionUuid
  std::uint64_t next = kPartitionAlignment;
  bool overflow = false;
  auto add = [&](PartitionRole role, std::string label, std::uint64_t size, std::uint64_t attrs,
                 std::uint64_t grain) {
    Partition p;
    p.type = PartitionTypeUuid(role, in.arch);
    p.uuid = PartitionUuid(in.seed, p.type, per_type[p.type]++);
    p.label = std::move(label);
    std::optional<std::uint64_t> offset = CheckedAlignUp(next, kPartitionAlignment);
    std::optional<std::uint64_t> rounded = CheckedAlignUp(size, grain);
    std::optional<std::uint64_t> end = offset && rounded ? CheckedAdd(*offset, *rounded) : std::nullopt;
    if (!end) {
      overflow = true;
      return;
    }
    p.offset = *offset;
    p.size = *rounded;
    p.attributes = attrs;
    next = *end;
    layout.partitions.push_back(std::move(p));
  };

  if (in.esp_size > 0) {
    add(PartitionRole::kEsp, "esp", in.esp_size, 0, kPartitionAlignment);
    if (!overflow && in.esp_uuid) layout.partitions.back().uuid = *in.esp_uuid;
  }
  const std::uint64_t root_size = ab ? in.slot_size : in.root_size;
  const std::uint64_t verity_size = ab ? in.slot_verity_size : in.verity_size;
  for (int slot = 0; slot < (ab ? 2 : 1); ++slot) {
    add(PartitionRole::kRoot, GetPartitionType(PartitionRole::kRoot, in.arch).name, root_size, kAttrReadOnly,
        kPartitionSizeGrain);
    if (verity_size > 0)
      add(PartitionRole::kRootVerity, GetPartitionType(PartitionRole::kRootVerity, in.arch).name, verity_size,
          kAttrReadOnly, kPartitionSizeGrain);
    if (in.verity_sig_size > 0)
      add(PartitionRole::kRootVeritySig, GetPartitionType(PartitionRole::kRootVeritySig, in.arch).name,
          in.verity_sig_size, kAttrReadOnly, kPartitionSizeGrain);
  }
  if (in.data_size > 0) {
    add(PartitionRole::kLinuxGeneric, in.data_label, in.data_size, kAttrGrowFileSystem,
        kPartitionSizeGrain);
    // One derivation for the layout and the boot configuration, which names it earlier.
    if (!overflow) layout.partitions.back().uuid = in.data_uuid.value_or(DataPartitionUuid(in.seed, in.arch));
  }
  if (overflow) return Overflow();

  std::optional<std::uint64_t> after = CheckedAdd(next, kPartitionAlignment);
  std::optional<std::uint64_t> auto_size_or = after ? CheckedAlignUp(*after, kPartitionAlignment) : std::nullopt;
  if (!auto_size_or) return Overflow();
  const std::uint64_t auto_size = *auto_size_or;
  if (in.disk_size == 0) {
    layout.size_bytes = auto_size;
  } else {
    const std::uint64_t needed = next + kGptBackupSectors * kSectorSize;
    if (in.disk_size < needed)
      return MakeError(ErrorCode::kBuild,
                       "disk size " + std::to_string(in.disk_size) + " bytes (" + FormatSize(in.disk_size) +
                           ") is too small: the partitions and the backup GPT need " +
                           std::to_string(needed) + " bytes (" + FormatSize(needed) + ")");
    if (in.disk_size % kSectorSize != 0)
      return MakeError(ErrorCode::kBuild, "disk size " + std::to_string(in.disk_size) +
                                              " bytes is not a multiple of 512");
    layout.size_bytes = in.disk_size;
  }
  KILN_TRY(ValidateLayout(layout));
  return layout;
}

int FindPartition(const DiskLayout& layout, const Uuid& type) {
  for (std::size_t i = 0; i < layout.partitions.size(); ++i)
    if (layout.partitions[i].type == type) return static_cast<int>(i);
  return -1;
}

Status SetVerityPairUuids(DiskLayout& layout, Architecture arch, const Digest& root_hash) {
  int root = FindPartition(layout, PartitionTypeUuid(PartitionRole::kRoot, arch));
  int verity = FindPartition(layout, PartitionTypeUuid(PartitionRole::kRootVerity, arch));
  if (root < 0 || verity < 0)
    return MakeError(ErrorCode::kBuild, "disk layout has no root/root-verity partition pair");
  layout.partitions[static_cast<std::size_t>(root)].uuid = UuidFromFirstHalf(root_hash);
  layout.partitions[static_cast<std::size_t>(verity)].uuid = UuidFromSecondHalf(root_hash);
  return OkStatus();
}

}  // namespace kiln::disk
