#include "builder/oci/layout.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "builder/common/files.h"
#include "builder/common/leftovers.h"
#include "builder/oci/image_config.h"
#include "builder/oci/layer_tar.h"

namespace kiln::oci {

namespace fs = std::filesystem;

namespace {

// mkdtemp makes 0700 directories and create_directories follows the umask: set modes
// explicitly so the result does not depend on the builder's umask.
Status FixDirectoryModes(const fs::path& root) {
  for (const fs::path& p : {root, root / "blobs", root / "blobs" / "sha256"}) {
    if (::chmod(p.c_str(), 0755) != 0)
      return MakeError(ErrorCode::kIo, "cannot set the mode of " + p.string() + ": " + std::strerror(errno));
  }
  return OkStatus();
}

// Moves the finished staging directory to out_dir. An existing out_dir is swapped out
// atomically (renameat2 RENAME_EXCHANGE) and then removed with the staging directory.
Status Install(TempDir& staging, const fs::path& out_dir) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(out_dir, ec))) {
    if (::rename(staging.path().c_str(), out_dir.c_str()) != 0)
      return MakeError(ErrorCode::kIo, "cannot move the OCI layout to " + out_dir.string() + ": " +
                                           std::strerror(errno));
    staging.Release();
    return OkStatus();
  }
  if (::renameat2(AT_FDCWD, staging.path().c_str(), AT_FDCWD, out_dir.c_str(), RENAME_EXCHANGE) == 0)
    return OkStatus();  // staging now holds the old layout; TempDir removes it
  fs::remove_all(out_dir, ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot replace " + out_dir.string() + ": " + ec.message());
  if (::rename(staging.path().c_str(), out_dir.c_str()) != 0)
    return MakeError(ErrorCode::kIo, "cannot move the OCI layout to " + out_dir.string() + ": " +
                                         std::strerror(errno));
  staging.Release();
  return OkStatus();
}

}  // namespace

Result<OciResult> WriteOciLayout(const tree::FileTree& tree, const OciOptions& opts,
                                 const fs::path& out_dir) {
  if (opts.version.empty())
    return MakeError(ErrorCode::kBuild, "an OCI image needs a version to tag it with");
  KILN_ASSIGN_OR_RETURN(LayerPlan plan, PlanLayers(tree, opts.layers));

  fs::path parent = out_dir.parent_path().empty() ? fs::path(".") : out_dir.parent_path();
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot create " + parent.string() + ": " + ec.message());
  const std::string prefix = "." + out_dir.filename().string() + ".tmp";
  SweepAbandonedDirs(parent, prefix);  // a killed build's staging
  KILN_ASSIGN_OR_RETURN(TempDir staging, TempDir::Create(parent, prefix));
  const fs::path& dir = staging.path();

  OciResult result;
  result.tag = opts.version;
  result.layer_names = plan.names;
  CompressorOptions copts;
  copts.jobs = opts.jobs;
  copts.level = opts.compression_level;
  for (std::size_t i = 0; i < plan.names.size(); ++i) {
    auto layer = WriteLayerBlob(dir, opts.compression, copts, [&](ByteSink& sink) {
      return WriteLayerTar(tree, plan, i, sink);
    });
    if (!layer.ok())
      return std::move(layer).WithContext("OCI layer '" + plan.names[i] + "' of " + out_dir.string()).error();
    result.layers.push_back(*std::move(layer));
  }

  KILN_ASSIGN_OR_RETURN(std::string config_json, BuildConfigJson(opts, result.layers, plan.names));
  KILN_ASSIGN_OR_RETURN(result.config, WriteBlob(dir, kMediaTypeConfig, config_json));
  KILN_ASSIGN_OR_RETURN(std::string manifest_json, BuildManifestJson(result.config, result.layers));
  KILN_ASSIGN_OR_RETURN(result.manifest, WriteBlob(dir, kMediaTypeManifest, manifest_json));
  KILN_ASSIGN_OR_RETURN(std::string index_json, BuildIndexJson(result.manifest, opts));
  KILN_TRY(WriteFile(dir / "index.json", index_json));
  KILN_TRY(WriteFile(dir / "oci-layout", kOciLayoutJson));
  KILN_TRY(FixDirectoryModes(dir));
  KILN_TRY(Install(staging, out_dir));
  result.dir = out_dir;
  return result;
}

}  // namespace kiln::oci
