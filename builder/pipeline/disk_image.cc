#include "builder/pipeline/disk_image.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "builder/cache/build_hooks.h"
#include "builder/common/unique_fd.h"

#include "builder/common/sha256.h"
#include "builder/common/size.h"
#include "builder/disk/ext4.h"
#include "builder/disk/vfat.h"
#include "builder/disk/layout.h"
#include "builder/disk/partition_types.h"
#include "builder/disk/seed_uuids.h"
#include "builder/slots/slot_sizes.h"
#include "builder/slots/slot_table.h"
#include "builder/slots/slot_uuids.h"
#include "builder/squashfs/squashfs.h"
#include "builder/verity/verity.h"
#include "signing/pkcs7.h"
#include "signing/verity_signature.h"

namespace kiln::pipeline {

namespace fs = std::filesystem;

namespace {

Status PwriteAll(int fd, std::string_view data, std::uint64_t offset, const fs::path& path) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return MakeError(ErrorCode::kIo, "cannot write " + path.string() + ": " + std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  return OkStatus();
}

// An update writes the next version's UKI beside the running one before the old one goes:
// the ESP must hold both, the loader, and the FAT's own tables.
Status CheckEspHoldsTwoUkis(const std::vector<disk::VfatFile>& files, std::uint64_t esp_size) {
  constexpr std::uint64_t kFatOverhead = 8ULL << 20;
  std::uint64_t needed = kFatOverhead;
  for (const disk::VfatFile& f : files) {
    std::error_code ec;
    const std::uint64_t size = fs::file_size(f.source, ec);
    needed += f.target.starts_with("/EFI/Linux/") ? 2 * size : size;
  }
  if (needed <= esp_size) return OkStatus();
  return MakeError(ErrorCode::kBuild, "[update] the ESP (" + FormatSize(esp_size) +
                                          ") cannot hold two UKIs and the boot loader: set [disk] esp_size to at "
                                          "least " + FormatSize(AlignUp(needed, 1ULL << 20)));
}

}  // namespace

Result<DiskImageResult> WriteDiskImage(const tree::FileTree& tree, const recipe::Recipe& recipe,
                                       const Seed& seed, const Signer* signer,
                                       const BuildContext& ctx, const fs::path& raw,
                                       const EspFilesFn& esp_files) {
  DiskImageResult result;
  const bool has_esp = recipe.disk.esp_size > 0;
  KILN_ASSIGN_OR_RETURN(result.root_offset, disk::RootOffset(has_esp, recipe.disk.esp_size));

  // 1. squashfs straight into the root partition's place, verity leaves hashed as it goes.
  verity::VerityParams vparams{disk::VeritySalt(seed), disk::VerityUuid(seed)};
  verity::VerityHasher hasher(vparams);
  squashfs::SquashfsOptions sopts{recipe.root.compression, recipe.root.compression_level,
                                  recipe.root.block_size, ctx.jobs, ctx.source_date_epoch};
  const std::string writing = "writing the root file system (" +
                              std::string(recipe::CompressionName(recipe.root.compression)) + ", " +
                              std::to_string(ctx.jobs) + " threads)";
  ctx.Report("squashfs", writing);
  sopts.on_progress = ctx.ProgressTo("squashfs", writing);
  std::unique_ptr<cache::BlockCache> block_cache = cache::OpenBlockCacheFor(ctx);
  sopts.block_cache = block_cache.get();
  KILN_ASSIGN_OR_RETURN(squashfs::SquashfsStats stats,
                        squashfs::WriteSquashfs(tree, sopts, raw, result.root_offset, &hasher));
  if (block_cache) cache::ReportBlockCache(ctx, *block_cache);
  result.root_size = stats.size;
  KILN_ASSIGN_OR_RETURN(verity::VerityResult vres, hasher.Finish(stats.size / 4096));
  result.root_hash_hex = ToHex(vres.root_hash);
  result.hash_device = std::move(vres.hash_device);
  ctx.Report("verity", "root hash " + result.root_hash_hex);

  // 2. Partition table from the sizes now known.
  disk::LayoutInputs in;
  in.arch = recipe.image.architecture;
  in.seed = seed;
  in.esp_size = recipe.disk.esp_size;
  in.root_size = stats.size;
  in.verity_size = result.hash_device.size();
  in.verity_sig_size = signer ? disk::kVeritySigSize : 0;
  if (recipe.data) {
    in.data_size = recipe.data->size;
    in.data_label = recipe.data->label;
  }
  in.disk_size = recipe.disk.size.value_or(0);
  if (recipe.update) {
    // A/B slots (docs/updates.md): slot A holds this version, slot B is free; the data
    // partition and the ESP keep their UUIDs across versions.
    in.slot_size = recipe.update->slot_size;
    KILN_ASSIGN_OR_RETURN(in.slot_verity_size, slots::VerityPartitionSize(in.slot_size));
    in.data_uuid = slots::DataPartitionUuid(recipe.image.name, recipe.image.architecture);
    in.esp_uuid = slots::EspPartitionUuid(recipe.image.name, recipe.image.architecture);
  }
  if (recipe.update && stats.size > in.slot_size)
    return MakeError(ErrorCode::kRecipe, "[update] slot_size " + FormatSize(in.slot_size) + " (" +
                                             std::to_string(in.slot_size) + " bytes) is too small for the root file "
                                             "system of " + FormatSize(stats.size) + " (" +
                                             std::to_string(stats.size) + " bytes): raise slot_size, with headroom "
                                             "for later versions");
  KILN_ASSIGN_OR_RETURN(result.layout, disk::PlanLayout(in));
  if (recipe.update) {
    KILN_ASSIGN_OR_RETURN(slots::SlotTable table, slots::FindSlots(result.layout, recipe.image.architecture));
    slots::SetSlotVersion(result.layout, table.a, recipe.image.name, recipe.image.version, vres.root_hash);
    slots::SetSlotEmpty(result.layout, table.b);
    result.slots = table;
  } else {
    KILN_TRY(disk::SetVerityPairUuids(result.layout, recipe.image.architecture, vres.root_hash));
  }

  UniqueFd fd(::open(raw.c_str(), O_RDWR | O_CLOEXEC));
  if (fd.get() < 0) return MakeError(ErrorCode::kIo, "cannot open " + raw.string() + ": " + std::strerror(errno));
  auto part_of = [&](disk::PartitionRole role) -> const disk::Partition* {
    int i = disk::FindPartition(result.layout, disk::PartitionTypeUuid(role, recipe.image.architecture));
    return i < 0 ? nullptr : &result.layout.partitions[static_cast<std::size_t>(i)];
  };

  // 3. Hash tree and signature partition.
  const disk::Partition* vpart = part_of(disk::PartitionRole::kRootVerity);
  KILN_TRY(PwriteAll(fd.get(), result.hash_device, vpart->offset, raw));
  if (signer) {
    KILN_ASSIGN_OR_RETURN(result.roothash_p7s,
                          signing::SignPkcs7Detached(result.root_hash_hex, signer->key, signer->cert));
    KILN_ASSIGN_OR_RETURN(std::string json, signing::MakeVeritySignatureJson(result.root_hash_hex, signer->cert,
                                                                           result.roothash_p7s));
    std::string padded = signing::PadVeritySignature(std::move(json));
    const disk::Partition* spart = part_of(disk::PartitionRole::kRootVeritySig);
    if (padded.size() > spart->size)
      return MakeError(ErrorCode::kBuild, "verity signature (" + std::to_string(padded.size()) +
                                              " bytes) does not fit its partition");
    KILN_TRY(PwriteAll(fd.get(), padded, spart->offset, raw));
  }

  // 4. Data file system, written in place by mke2fs.
  if (recipe.data) {
    const disk::Partition* dpart = part_of(disk::PartitionRole::kLinuxGeneric);
    ctx.Report("disk", "data partition: ext4 " + FormatSize(dpart->size) + " label '" + recipe.data->label + "'");
    disk::Ext4Spec spec;
    spec.image = raw;
    spec.offset = dpart->offset;
    spec.size = dpart->size;
    spec.label = recipe.data->label;
    spec.uuid = disk::FilesystemUuid(dpart->uuid);
    spec.hash_seed = UuidV4From(HmacSha256(std::span<const std::uint8_t>(seed), "ext4-hash-seed"));
    spec.seed_dir = recipe.data->seed;
    spec.source_date_epoch = ctx.source_date_epoch;
    spec.last_mounted = recipe.data->mountpoint;
    KILN_TRY(disk::MakeExt4(spec));
  }

  // 5. The ESP (boot loader and UKI when the recipe boots), a deterministic vfat.
  if (has_esp) {
    const disk::Partition* epart = part_of(disk::PartitionRole::kEsp);
    disk::VfatSpec spec;
    spec.image = raw;
    spec.offset = epart->offset;
    spec.size = epart->size;
    spec.volume_id = disk::VfatVolumeId(disk::FilesystemUuid(epart->uuid));
    spec.source_date_epoch = ctx.source_date_epoch;
    if (esp_files) {
      ctx.Report("boot", "building the unified kernel image and the ESP");
      KILN_ASSIGN_OR_RETURN(spec.files, esp_files(result));
      result.esp_files = spec.files;
      if (recipe.update) KILN_TRY(CheckEspHoldsTwoUkis(spec.files, epart->size));
    }
    KILN_TRY(disk::MakeVfat(spec));
  }

  // 6. The whole disk's size, then the GPT (protective MBR, primary and backup).
  if (::ftruncate(fd.get(), static_cast<off_t>(result.layout.size_bytes)) != 0)
    return MakeError(ErrorCode::kIo, "cannot size " + raw.string() + ": " + std::strerror(errno));
  KILN_TRY(disk::WriteGpt(fd.get(), result.layout));
  ctx.Report("disk", "wrote " + raw.filename().string() + " (" + FormatSize(result.layout.size_bytes) + ")");
  return result;
}

}  // namespace kiln::pipeline
