#include "builder/pipeline/staged_output.h"

#include <system_error>

namespace kiln::pipeline {

namespace fs = std::filesystem;

Result<StagedOutput> StagedOutput::Create(const fs::path& out_dir) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot create output directory " + out_dir.string() + ": " + ec.message());
  // Staging inside the output directory keeps the final renames on one file system.
  KILN_ASSIGN_OR_RETURN(TempDir staging, TempDir::Create(out_dir, ".kiln-staging"));
  return StagedOutput(out_dir, std::move(staging));
}

Status StagedOutput::Commit() {
  for (auto& name : kept_) {
    fs::path dest = out_dir_ / name;
    std::error_code ec;
    if (fs::is_directory(dest, ec) && !fs::is_symlink(dest, ec)) {
      // A directory artifact (an OCI layout) cannot be renamed over a non-empty directory.
      fs::path old = staging_dir() / (".old-" + name);
      fs::rename(dest, old, ec);
      if (ec) return MakeError(ErrorCode::kIo, "cannot replace " + dest.string() + ": " + ec.message());
    }
    fs::rename(Path(name), dest, ec);
    if (ec) return MakeError(ErrorCode::kIo, "cannot move " + name + " into " + out_dir_.string() + ": " + ec.message());
  }
  return OkStatus();
}

}  // namespace kiln::pipeline
