#include "builder/pipeline/disk_artifacts.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "builder/common/file_growth_watcher.h"
#include "builder/common/progress_throttle.h"
#include "builder/common/unique_fd.h"
#include "builder/pipeline/boot_setup.h"
#include "builder/pipeline/disk_image.h"
#include "builder/pipeline/manifest_assembly.h"
#include "builder/pipeline/output_formats.h"
#include "builder/vmformats/vm_formats.h"

namespace kiln::pipeline {

namespace fs = std::filesystem;
using artifacts::Role;

namespace {

// Copies a byte range into a new file with copy_file_range (a reflink or an in-kernel copy:
// the data never passes through user space).
Status CopyRange(const fs::path& from, std::uint64_t offset, std::uint64_t size, const fs::path& to) {
  UniqueFd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) return MakeError(ErrorCode::kIo, "cannot open " + from.string());
  UniqueFd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!out.valid()) return MakeError(ErrorCode::kIo, "cannot create " + to.string());
  ::fchmod(out.get(), 0644);
  loff_t off_in = static_cast<loff_t>(offset);
  std::uint64_t left = size;
  while (left > 0) {
    ssize_t n = ::copy_file_range(in.get(), &off_in, out.get(), nullptr, left, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return MakeError(ErrorCode::kIo, "cannot copy into " + to.string() + ": " + std::strerror(errno));
    left -= static_cast<std::uint64_t>(n);
  }
  return OkStatus();
}

vmformats::VmFormatInputs VmInputs(const recipe::Recipe& r, const Seed& seed, const BuildContext& ctx) {
  return {r.image.name, r.image.version, ctx.source_date_epoch, seed, r.boot.loader != "none",
          r.vm.cpus, r.vm.memory >> 20, r.output.vmdk_subformat, ctx.jobs};
}

// VM template formats, each made from the raw image by the vmformats library; the raw image
// also gets its block map for flashing.
Status WriteVmFormats(const recipe::Recipe& recipe, const Seed& seed, const BuildContext& ctx,
                      BuildOutputs& outputs) {
  const fs::path raw = outputs.Path(Role::kDiskImage);
  const vmformats::VmFormatInputs vm_inputs = VmInputs(recipe, seed, ctx);
  for (const std::string& fmt : vmformats::VmFormatNames()) {
    if (!WantsFormat(recipe, fmt)) continue;
    ctx.Report("disk", "converting to " + fmt);
    const std::string name = vmformats::VmFormatFileName(fmt, outputs.base());
    {
      // The size of the output so far: the writers do not know their final size up front.
      ProgressThrottle progress(ctx.ProgressTo("disk", "converting to " + fmt), 0);
      FileGrowthWatcher watcher(outputs.Path(name), [&progress](std::uint64_t size) { progress.Update(size); });
      KILN_TRY(vmformats::WriteVmFormat(fmt, raw, outputs.Path(name), vm_inputs));
    }
    outputs.Keep(name);
  }
  if (WantsFormat(recipe, "raw")) {
    outputs.Keep(Role::kDiskImage);
    KILN_TRY(vmformats::WriteVmFormat("bmap", raw, outputs.Path(Role::kBlockMap), vm_inputs));
    outputs.Keep(Role::kBlockMap);
  }
  return OkStatus();
}

}  // namespace

Status WriteDiskArtifacts(const recipe::Recipe& recipe, const SigningPaths& signing, const Signer* signer,
                          const Seed& seed, tree::FileTree& tree, const BuildContext& ctx, BuildOutputs& outputs,
                          manifest::BuildManifest& m) {
  const std::string uki = outputs.Name(Role::kBootImage);
  KILN_ASSIGN_OR_RETURN(EspFilesFn esp_files, PrepareBoot(recipe, signing, seed, tree, ctx, uki));
  KILN_ASSIGN_OR_RETURN(DiskImageResult disk, WriteDiskImage(tree, recipe, seed, signer, ctx,
                                                             outputs.Path(Role::kDiskImage), esp_files));
  if (esp_files) {
    // The UKI beside the disk image: for network boot, and to check with sbverify.
    const fs::path made = ctx.work_dir / "esp" / uki;
    KILN_TRY(CopyRange(made, 0, fs::file_size(made), outputs.Path(uki)));
    outputs.Keep(uki);
  }
  // Split artifacts beside the disk image.
  KILN_TRY(CopyRange(outputs.Path(Role::kDiskImage), disk.root_offset, disk.root_size,
                     outputs.Path(Role::kRootFilesystem)));
  outputs.Keep(Role::kRootFilesystem);
  KILN_TRY(outputs.Write(Role::kVerityHashTree, disk.hash_device));
  KILN_TRY(outputs.Write(Role::kRootHash, disk.root_hash_hex + "\n"));
  if (signer) KILN_TRY(outputs.Write(Role::kRootHashSignature, disk.roothash_p7s));
  KILN_TRY(RecordDisk(m, disk));
  return WriteVmFormats(recipe, seed, ctx, outputs);
}

}  // namespace kiln::pipeline
