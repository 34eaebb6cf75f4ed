#include "builder/pipeline/pipeline.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>

#include "builder/artifacts/artifacts.h"
#include "builder/cache/build_hooks.h"
#include "builder/common/file_growth_watcher.h"
#include "builder/common/files.h"
#include "builder/common/input_hooks.h"
#include "builder/common/progress_throttle.h"
#include "builder/common/sha256.h"
#include "builder/common/size.h"
#include "builder/common/unique_fd.h"
#include "builder/bootloader/boot_files.h"
#include "builder/bootloader/esp_contents.h"
#include "builder/bootloader/system_config.h"
#include "builder/disk/layout.h"
#include "builder/disk/seed_uuids.h"
#include "builder/disk/partition_types.h"
#include "builder/oci/layout.h"
#include "builder/oci/oci_archive.h"
#include "builder/pipeline/build_inputs.h"
#include "builder/pipeline/disk_image.h"
#include "builder/pipeline/resolve_tree.h"
#include "builder/pipeline/stage_options.h"
#include "builder/pipeline/staged_output.h"
#include "builder/recipe/recipe_parser.h"
#include "builder/sbom/cyclonedx.h"
#include "builder/sbom/provenance.h"
#include "builder/sbom/sbom_input.h"
#include "builder/sbom/spdx.h"
#include "builder/squashfs/squashfs.h"
#include "builder/vmformats/vm_formats.h"
#include "signing/pkcs7.h"

#ifndef KILN_VERSION
#define KILN_VERSION "0.0.0"
#endif

namespace kiln::pipeline {

namespace fs = std::filesystem;
using artifacts::Role;

const char* KilnVersion() { return KILN_VERSION; }

namespace {

bool Wants(const recipe::Recipe& r, const std::string& format) {
  return std::find(r.output.formats.begin(), r.output.formats.end(), format) != r.output.formats.end();
}

bool WantsDisk(const recipe::Recipe& r) {
  return Wants(r, "raw") || std::any_of(vmformats::VmFormatNames().begin(), vmformats::VmFormatNames().end(),
                                        [&](const std::string& f) { return Wants(r, f); });
}

vmformats::VmFormatInputs VmInputs(const recipe::Recipe& r, const Seed& seed, const BuildContext& ctx) {
  return {r.image.name, r.image.version, ctx.source_date_epoch, seed, r.boot.loader != "none",
          r.vm.cpus, r.vm.memory >> 20, r.output.vmdk_subformat, ctx.jobs};
}

// Key and certificate from the command line or the recipe; none at all is an error for disk
// images unless the user asked for an unsigned build.
Result<std::optional<Signer>> LoadSigner(const BuildRequest& req, const recipe::Recipe& recipe) {
  std::string key = !req.key.empty() ? req.key : recipe.signing.key;
  std::string cert = !req.cert.empty() ? req.cert
                     : recipe.signing.certificate ? recipe.signing.certificate->string() : "";
  if (key.empty() && cert.empty()) {
    if (WantsDisk(recipe) && !req.allow_unsigned)
      return MakeError(ErrorCode::kUsage,
                       "no signing key: pass --key KEY --cert CERT or set [signing] in the recipe "
                       "(create a key with `kiln keygen`), or build with --unsigned");
    return std::optional<Signer>();
  }
  if (key.empty() || cert.empty())
    return MakeError(ErrorCode::kUsage, "signing needs both a key and a certificate");
  KILN_ASSIGN_OR_RETURN(signing::PrivateKey k, signing::LoadPrivateKey(key));
  KILN_ASSIGN_OR_RETURN(signing::Certificate c, signing::LoadCertificate(cert));
  if (!signing::KeyMatchesCertificate(k, c))
    return MakeError(ErrorCode::kInput, "the signing key " + key + " does not match the certificate " + cert);
  return std::optional<Signer>(Signer{std::move(k), std::move(c)});
}

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

Result<manifest::ArtifactEntry> Describe(const fs::path& dir, const std::string& name) {
  fs::path p = dir / name;
  KILN_ASSIGN_OR_RETURN(Digest d, Sha256File(p));
  std::error_code ec;
  return manifest::ArtifactEntry{name, fs::file_size(p, ec), ToHex(d)};
}

// Every file of a directory artifact (an OCI layout), as "dir/relative/path", sorted.
Result<std::vector<manifest::ArtifactEntry>> DescribeTree(const fs::path& dir, const std::string& name) {
  std::vector<std::string> files;
  for (auto& e : fs::recursive_directory_iterator(dir / name))
    if (e.is_regular_file()) files.push_back(name + "/" + e.path().lexically_relative(dir / name).generic_string());
  std::sort(files.begin(), files.end());
  std::vector<manifest::ArtifactEntry> out;
  for (auto& f : files) {
    KILN_ASSIGN_OR_RETURN(auto a, Describe(dir, f));
    out.push_back(std::move(a));
  }
  return out;
}

// Boot setup for [boot] loader = "systemd-boot": adds the boot configuration to the root
// (before it is written), checks the kernel, initrd and loader are there, and returns the
// function that makes the ESP's files once the root hash is known. Empty when not booting.
Result<EspFilesFn> PrepareBoot(const BuildRequest& req, const recipe::Recipe& recipe, const Seed& seed,
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
    std::string key = !req.key.empty() ? req.key : recipe.signing.key;
    std::string cert = !req.cert.empty() ? req.cert
                       : recipe.signing.certificate ? recipe.signing.certificate->string() : "";
    if (key.empty() || cert.empty())
      return MakeError(ErrorCode::kUsage, "[signing] secure_boot = true needs a key and a certificate");
    if (key.rfind("pkcs11:", 0) == 0)
      return MakeError(ErrorCode::kUsage, "[signing] secure_boot = true needs a key file (sbsign cannot use " + key + ")");
    sb = bootloader::SecureBootKey{key, cert};
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

}  // namespace

Result<BuildSummary> Build(const BuildRequest& req) {
  BuildContext ctx = req.ctx;
  ctx.Report("recipe", "loading " + req.recipe.string());
  KILN_ASSIGN_OR_RETURN(recipe::Recipe recipe, recipe::LoadRecipe(req.recipe));
  ctx.source_date_epoch = req.source_date_epoch.value_or(recipe.image.source_date_epoch.value_or(0));
  if (ctx.jobs == 0) ctx.jobs = 1;
  KILN_ASSIGN_OR_RETURN(std::optional<Signer> signer, LoadSigner(req, recipe));

  KILN_ASSIGN_OR_RETURN(StagedOutput out, StagedOutput::Create(req.out_dir));
  ctx.work_dir = out.staging_dir() / ".work";
  fs::create_directories(ctx.work_dir);
  KILN_ASSIGN_OR_RETURN(tree::ContentStore store, tree::ContentStore::Create(ctx.work_dir / "content"));

  if (req.before_resolve) KILN_TRY(req.before_resolve(recipe, ctx));
  KILN_ASSIGN_OR_RETURN(ResolvedTree resolved, ResolveTree(recipe, ctx, store));
  if (req.after_resolve) KILN_TRY(req.after_resolve(recipe, ctx));
  KILN_ASSIGN_OR_RETURN(std::vector<manifest::InputEntry> inputs, RecipeInputs(recipe, ctx.inputs && !ctx.inputs->Supplying() ? ctx.inputs : nullptr));
  inputs.insert(inputs.end(), resolved.base_inputs.begin(), resolved.base_inputs.end());
  Seed seed = ComputeSeed(inputs, ctx.source_date_epoch);
  ctx.Report("tree", std::to_string(resolved.tree.size()) + " entries; seed " + ToHex(std::span<const std::uint8_t>(seed)));

  manifest::BuildManifest m;
  m.kiln_version = KilnVersion();
  m.image_name = recipe.image.name;
  m.image_version = recipe.image.version;
  m.architecture = recipe::ArchitectureName(recipe.image.architecture);
  m.recipe = recipe.file.filename().string();
  KILN_ASSIGN_OR_RETURN(m.recipe_sha256, RecipeDigest(recipe));
  m.inputs = inputs;
  m.seed = ToHex(std::span<const std::uint8_t>(seed));
  m.source_date_epoch = ctx.source_date_epoch;
  m.packages = resolved.packages;
  if (recipe.data) m.data_mountpoint = recipe.data->mountpoint;
  if (signer) m.certificate_fingerprint = signing::CertificateFingerprintSha256(signer->cert);

  const std::string base = recipe.image.name + "_" + recipe.image.version;
  auto name_of = [&base](artifacts::Role role) { return artifacts::FileName(role, base); };
  std::vector<std::string> artifacts;  // file names, in the order produced
  auto keep = [&](const std::string& name) {
    out.Keep(name);
    artifacts.push_back(name);
  };

  if (WantsDisk(recipe)) {
    const std::string raw = name_of(Role::kDiskImage), uki = name_of(Role::kBootImage);
    KILN_ASSIGN_OR_RETURN(EspFilesFn esp_files, PrepareBoot(req, recipe, seed, resolved.tree, ctx, uki));
    KILN_ASSIGN_OR_RETURN(DiskImageResult disk,
                          WriteDiskImage(resolved.tree, recipe, seed, signer ? &*signer : nullptr, ctx, out.Path(raw),
                                         esp_files));
    if (esp_files) {
      // The UKI beside the disk image: for network boot, and to check with sbverify.
      KILN_TRY(CopyRange(ctx.work_dir / "esp" / uki, 0, fs::file_size(ctx.work_dir / "esp" / uki), out.Path(uki)));
      keep(uki);
    }
    // Split artifacts beside the disk image.
    KILN_TRY(CopyRange(out.Path(raw), disk.root_offset, disk.root_size, out.Path(name_of(Role::kRootFilesystem))));
    keep(name_of(Role::kRootFilesystem));
    KILN_TRY(WriteFile(out.Path(name_of(Role::kVerityHashTree)), disk.hash_device));
    keep(name_of(Role::kVerityHashTree));
    KILN_TRY(WriteFile(out.Path(name_of(Role::kRootHash)), disk.root_hash_hex + "\n"));
    keep(name_of(Role::kRootHash));
    if (signer) {
      KILN_TRY(WriteFile(out.Path(name_of(Role::kRootHashSignature)), disk.roothash_p7s));
      keep(name_of(Role::kRootHashSignature));
    }
    // The firmware reads the ESP outside dm-verity: the manifest pins each file kiln put there.
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
      m.partitions.push_back({disk::PartitionTypeName(p.type), p.type.ToString(), p.uuid.ToString(), p.label,
                              p.offset, p.size, p.attributes, disk::PartitionContentName(p.type)});
    }
    // VM template formats, each made from the raw image by the vmformats library; the raw
    // image also gets its block map for flashing.
    const vmformats::VmFormatInputs vm_inputs = VmInputs(recipe, seed, ctx);
    for (const std::string& fmt : vmformats::VmFormatNames()) {
      if (!Wants(recipe, fmt)) continue;
      ctx.Report("disk", "converting to " + fmt);
      const std::string name = vmformats::VmFormatFileName(fmt, base);
      {
        // The size of the output so far: the writers do not know their final size up front.
        ProgressThrottle progress(ctx.ProgressTo("disk", "converting to " + fmt), 0);
        FileGrowthWatcher watcher(out.Path(name), [&progress](std::uint64_t size) { progress.Update(size); });
        KILN_TRY(vmformats::WriteVmFormat(fmt, out.Path(raw), out.Path(name), vm_inputs));
      }
      keep(name);
    }
    if (Wants(recipe, "raw")) {
      keep(raw);
      KILN_TRY(vmformats::WriteVmFormat("bmap", out.Path(raw), out.Path(name_of(Role::kBlockMap)), vm_inputs));
      keep(name_of(Role::kBlockMap));
    }
  } else if (Wants(recipe, "squashfs")) {
    squashfs::SquashfsOptions sopts{recipe.root.compression, recipe.root.compression_level,
                                    recipe.root.block_size, ctx.jobs, ctx.source_date_epoch};
    ctx.Report("squashfs", "writing the root file system");
    sopts.on_progress = ctx.ProgressTo("squashfs", "writing the root file system");
    std::unique_ptr<cache::BlockCache> block_cache = cache::OpenBlockCacheFor(ctx);
    sopts.block_cache = block_cache.get();
    KILN_TRY(squashfs::WriteSquashfs(resolved.tree, sopts, out.Path(name_of(Role::kRootFilesystem)), 0, nullptr));
    if (block_cache) cache::ReportBlockCache(ctx, *block_cache);
    keep(name_of(Role::kRootFilesystem));
  }

  if (Wants(recipe, "oci") || Wants(recipe, "oci-archive")) {
    KILN_ASSIGN_OR_RETURN(oci::OciOptions oopts, OciOptionsFor(recipe, ctx.source_date_epoch, ctx.jobs));
    ctx.Report("oci", "writing the OCI image layout");
    KILN_TRY(oci::WriteOciLayout(resolved.tree, oopts, out.Path(name_of(Role::kOciLayout))));
    if (Wants(recipe, "oci-archive")) {
      KILN_TRY(oci::WriteOciArchive(out.Path(name_of(Role::kOciLayout)), out.Path(name_of(Role::kOciArchive))));
      keep(name_of(Role::kOciArchive));
    }
    if (Wants(recipe, "oci")) keep(name_of(Role::kOciLayout));
  }

  // SBOM: packages of the root, the inputs, and every file overlays and entries added.
  {
    sbom::SbomInput sin;
    sin.image_name = m.image_name;
    sin.image_version = m.image_version;
    sin.architecture = m.architecture;
    sin.tool_version = KilnVersion();
    sin.source_date_epoch = m.source_date_epoch;
    for (auto& p : m.packages) sin.packages.push_back({p.name, p.version, p.architecture, "", ""});
    sin.inputs = m.inputs;
    KILN_ASSIGN_OR_RETURN(sin.files, sbom::FilesFromTree(resolved.tree));
    KILN_TRY(WriteFile(out.Path(name_of(Role::kSpdxSbom)), sbom::MakeSpdx(sin)));
    keep(name_of(Role::kSpdxSbom));
    if (req.sbom_cyclonedx) {
      KILN_TRY(WriteFile(out.Path(name_of(Role::kCycloneDxSbom)), sbom::MakeCycloneDx(sin)));
      keep(name_of(Role::kCycloneDxSbom));
    }
  }

  for (auto& name : artifacts) {
    if (fs::is_directory(out.Path(name))) {
      KILN_ASSIGN_OR_RETURN(auto entries, DescribeTree(out.staging_dir(), name));
      m.artifacts.insert(m.artifacts.end(), entries.begin(), entries.end());
    } else {
      KILN_ASSIGN_OR_RETURN(auto a, Describe(out.staging_dir(), name));
      m.artifacts.push_back(std::move(a));
    }
  }
  auto by_name = [](const manifest::ArtifactEntry& a, const manifest::ArtifactEntry& b) { return a.name < b.name; };
  std::sort(m.artifacts.begin(), m.artifacts.end(), by_name);
  // Provenance: an in-toto SLSA statement over every artifact, in a DSSE envelope signed with
  // the build key. No times unless asked: the statement must stay reproducible. The envelope
  // is made before the manifest so the signed manifest lists it too.
  if (signer) {
    std::string lock_sha;
    for (auto& i : m.inputs)
      if (i.kind == "debian-lock") lock_sha = i.sha256;
    KILN_ASSIGN_OR_RETURN(std::string statement, sbom::MakeProvenanceStatement(m, lock_sha));
    KILN_ASSIGN_OR_RETURN(std::string envelope,
                          sbom::SignProvenance(statement, signer->key, m.certificate_fingerprint));
    KILN_TRY(WriteFile(out.Path(name_of(Role::kProvenance)), envelope));
    keep(name_of(Role::kProvenance));
    KILN_ASSIGN_OR_RETURN(auto pa, Describe(out.staging_dir(), name_of(Role::kProvenance)));
    m.artifacts.insert(std::upper_bound(m.artifacts.begin(), m.artifacts.end(), pa, by_name), pa);
  } else {
    ctx.Report("provenance", "unsigned build: no provenance envelope written");
  }
  // Manifest, its signature, and SHA256SUMS over everything.
  std::vector<manifest::ArtifactEntry> sums = m.artifacts;
  const std::string manifest_name = name_of(Role::kManifest);
  std::string manifest_json = manifest::ToJson(m);
  KILN_TRY(WriteFile(out.Path(manifest_name), manifest_json));
  keep(manifest_name);
  KILN_ASSIGN_OR_RETURN(auto ma, Describe(out.staging_dir(), manifest_name));
  sums.push_back(ma);
  if (signer) {
    KILN_ASSIGN_OR_RETURN(std::string p7s, signing::SignPkcs7Detached(manifest_json, signer->key, signer->cert));
    KILN_TRY(WriteFile(out.Path(name_of(Role::kManifestSignature)), p7s));
    keep(name_of(Role::kManifestSignature));
    KILN_ASSIGN_OR_RETURN(auto pa, Describe(out.staging_dir(), name_of(Role::kManifestSignature)));
    sums.push_back(pa);
  }
  // SHA256SUMS is merged with the lines of other builds in the directory while publishing.
  KILN_TRY(out.Commit({std::move(sums), manifest_name}));
  if (req.after_build) KILN_TRY(req.after_build(recipe, ctx));
  cache::PruneAfterBuild(ctx);
  ctx.Report("build", "done: " + std::to_string(artifacts.size() + 1) + " artifacts in " + req.out_dir.string());
  return BuildSummary{std::move(m), req.out_dir};
}

}  // namespace kiln::pipeline
