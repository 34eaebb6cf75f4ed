#include "builder/pipeline/boot_setup.h"

#include "builder/bootloader/boot_files.h"
#include "builder/bootloader/esp_contents.h"
#include "builder/bootloader/system_config.h"
#include "builder/disk/layout.h"
#include "builder/disk/partition_types.h"
#include "builder/disk/seed_uuids.h"

namespace kiln::pipeline {

namespace fs = std::filesystem;

Result<EspFilesFn> PrepareBoot(const recipe::Recipe& recipe, const SigningPaths& signing, const Seed& seed,
                               tree::FileTree& tree, const BuildContext& ctx, const std::string& uki_name) {
  if (recipe.boot.loader == "none") return EspFilesFn();
  const auto arch = recipe.image.architecture;
  const Uuid data_uuid = disk::DataPartitionUuid(seed, arch);
  bootloader::BootSystemConfig boot_config{recipe.boot.kernel_cmdline, {}};
  if (recipe.data)
    boot_config.data = bootloader::DataMount{recipe.data->mountpoint, recipe.data->filesystem, recipe.data->label, data_uuid};
  KILN_TRY(bootloader::ApplyBootSystemConfig(tree, boot_config));
  KILN_ASSIGN_OR_RETURN(bootloader::BootFiles files, bootloader::FindBootFiles(tree, arch));
  ctx.Report("boot", "kernel " + files.kernel_version + ", systemd-boot, UKI " + uki_name);
  std::optional<bootloader::SecureBootKey> sb;
  if (recipe.signing.secure_boot) {
    if (signing.key.empty() || signing.cert.empty())
      return MakeError(ErrorCode::kUsage, "[signing] secure_boot = true needs a key and a certificate");
    if (signing.key.rfind("pkcs11:", 0) == 0)
      return MakeError(ErrorCode::kUsage,
                       "[signing] secure_boot = true needs a key file (sbsign cannot use " + signing.key + ")");
    sb = bootloader::SecureBootKey{signing.key, signing.cert};
  }
  fs::path work = ctx.work_dir / "esp";
  std::vector<std::string> extra = recipe.boot.kernel_cmdline;
  const std::int64_t sde = ctx.source_date_epoch;
  return EspFilesFn([&tree, files, arch, uki_name, sb, work, extra, sde](const DiskImageResult& d)
                        -> Result<std::vector<disk::VfatFile>> {
    int root = disk::FindPartition(d.layout, disk::PartitionTypeUuid(disk::PartitionRole::kRoot, arch));
    int hash = disk::FindPartition(d.layout, disk::PartitionTypeUuid(disk::PartitionRole::kRootVerity, arch));
    if (root < 0 || hash < 0) return MakeError(ErrorCode::kBuild, "the disk has no root or verity partition");
    bootloader::VerityRoot vr{d.root_hash_hex, d.layout.partitions[static_cast<std::size_t>(root)].uuid,
                              d.layout.partitions[static_cast<std::size_t>(hash)].uuid};
    bootloader::EspRequest er{&tree, files, arch, uki_name, bootloader::KernelCmdline(vr, extra), sb, work, sde};
    return bootloader::PrepareEspFiles(er);
  });
}

}  // namespace kiln::pipeline
