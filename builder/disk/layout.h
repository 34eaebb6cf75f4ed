// Plans kiln's partition table. Used by the pipeline in two phases: RootOffset() before the
// squashfs is written (it is written straight into the image at that offset), PlanLayout()
// once the squashfs, hash tree and data sizes are known.
//
// Layout of a kiln disk image (512-byte sectors, GPT with 128 entries):
//
//   offset 0          protective MBR, primary GPT header (LBA 1), entries (LBA 2..33)
//   1 MiB             esp              ESP (vfat)                  optional; size rounded up to 1 MiB
//   next 1 MiB        root-<arch>      root (squashfs)             attribute 60 (read-only)
//   next 1 MiB        root-<arch>-verity       dm-verity hash tree attribute 60 (read-only)
//   next 1 MiB        root-<arch>-verity-sig   signature JSON      attribute 60 (read-only), 16 KiB
//   next 1 MiB        <data label>     data (ext4), generic Linux  attribute 59 (grow-file-system)
//   end - 33 sectors  backup GPT entries and header (last LBA)
//
// Every partition starts on a 1 MiB boundary; sizes are rounded up to 4 KiB. Data comes last
// so it can grow into the rest of the disk on first boot. With size "auto" the disk ends
// 1 MiB after the last partition, rounded up to 1 MiB (room for the backup GPT); an explicit
// disk size that is too small is an error. Labels are the systemd-repart type names
// ("esp", "root-x86-64", "root-x86-64-verity", "root-x86-64-verity-sig") and the recipe's
// label for data. The data partition uses the generic Linux data type, not "var": systemd
// only auto-mounts a var partition whose UUID is derived from the machine id, which an image
// built once cannot know, so the image mounts data by PARTUUID or label instead.
//
// Disk GUID and partition UUIDs come from the build seed (seed_uuids.h). The root and
// root-verity UUIDs are replaced by halves of the root hash once it is known
// (SetVerityPairUuids), the way systemd pairs them.
//
// A/B layout (slot_size > 0, recipes with [update]; docs/updates.md): the root, verity and
// signature partitions appear twice, slot A then slot B, each root partition exactly
// slot_size bytes and each verity partition slot_verity_size bytes, so either slot can
// take any later version whose root fits. Slot B's UUIDs are the seed's second partition
// of each type. Labels and the slots' UUID rules are the slots library's (builder/slots/);
// the pipeline applies them to the planned table.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "builder/common/result.h"
#include "builder/common/sha256.h"
#include "builder/disk/gpt.h"
#include "builder/disk/partition_types.h"
#include "builder/disk/seed_uuids.h"

namespace kiln::disk {

inline constexpr std::uint64_t kPartitionAlignment = 1024 * 1024;
inline constexpr std::uint64_t kPartitionSizeGrain = 4096;
inline constexpr std::uint64_t kVeritySigSize = 16 * 1024;

struct LayoutInputs {
  Architecture arch = Architecture::kX86_64;
  Seed seed{};
  std::uint64_t esp_size = 0;          // 0: no ESP
  std::optional<Uuid> esp_uuid;        // nullopt: from the seed
  std::uint64_t root_size = 0;         // squashfs bytes (padded to 4 KiB for verity)
  std::uint64_t verity_size = 0;       // hash device bytes (superblock + tree)
  std::uint64_t verity_sig_size = kVeritySigSize;  // 0: no signature partition (--unsigned)
  std::uint64_t data_size = 0;         // 0: no data partition
  std::string data_label = "data";
  std::optional<Uuid> data_uuid;       // nullopt: DataPartitionUuid(seed, arch)
  std::uint64_t disk_size = 0;         // 0: auto
  std::uint64_t slot_size = 0;         // 0: one root slot sized to the root; else A/B slots
  std::uint64_t slot_verity_size = 0;  // A/B: each verity partition (hash device of slot_size)
  bool operator==(const LayoutInputs&) const = default;
};

// Where the root partition starts; PlanLayout places it at exactly this offset. Fails with
// kBuild when esp_size exceeds kMaxSize (size.h).
Result<std::uint64_t> RootOffset(bool has_esp, std::uint64_t esp_size);

// The full table with seed-derived UUIDs, labels and attributes. Fails with kBuild when an
// explicit disk size is too small (saying how many bytes are needed and given), a label
// does not fit, a size exceeds kMaxSize (size.h; the arithmetic is checked, never wraps),
// or, for A/B slots, the root or its hash tree does not fit its slot (naming both sizes) or
// the signature partition is missing.
Result<DiskLayout> PlanLayout(const LayoutInputs& in);

// The data partition's UUID, as PlanLayout gives it (the only partition of its type). The
// boot configuration names it (fstab, the grow unit) before the layout exists.
Uuid DataPartitionUuid(const Seed& seed, Architecture arch);

// Index of the first partition of a type, or -1.
int FindPartition(const DiskLayout& layout, const Uuid& type);

// Gives the root partition the first 16 bytes of the root hash as its UUID and the verity
// partition the last 16 (systemd-repart's pairing). Fails when either is missing.
Status SetVerityPairUuids(DiskLayout& layout, Architecture arch, const Digest& root_hash);

}  // namespace kiln::disk
