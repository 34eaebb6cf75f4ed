#include "builder/sources/debian_archived_inputs.h"

#include <map>

#include "builder/common/input_hooks.h"
#include "builder/common/sha256.h"
#include "builder/sources/source_identity.h"

namespace kiln::sources {

namespace fs = std::filesystem;

Result<std::string> AptArchiveFileName(const LockedPackage& p) {
  std::string version;
  for (char c : p.version) version += c == ':' ? std::string("%3a") : std::string(1, c);
  std::string name = p.name + "_" + version + "_" + p.architecture + ".deb";
  if (p.name.empty() || name.find('/') != std::string::npos || name.front() == '.')
    return MakeError(ErrorCode::kInput, "locked package " + p.name + " " + p.version + " has no plain file name");
  return name;
}

Status CaptureDebianInputs(const LockFile& lock, const fs::path& dir, const BuildContext& ctx) {
  std::map<std::string, fs::path> by_digest;
  std::error_code ec;
  for (fs::directory_iterator it(dir / kArchivedDebsDir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file() || it->path().extension() != ".deb") continue;
    KILN_ASSIGN_OR_RETURN(Digest d, Sha256File(it->path()));
    by_digest[ToHex(d)] = it->path();
  }
  if (ec) return MakeError(ErrorCode::kIo, "cannot list the downloaded packages: " + ec.message());
  for (const auto& p : lock.packages) {
    auto it = by_digest.find(p.sha256);
    if (it == by_digest.end())
      return MakeError(ErrorCode::kInput, "package " + p.name + " " + p.version + " was not downloaded: cannot archive it");
    KILN_TRY(ctx.inputs->CaptureFile("deb", DebPurl(p.name, p.version, p.architecture), it->second, p.sha256));
  }
  int lists = 0;
  for (fs::directory_iterator it(dir / kArchivedListsDir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!it->is_regular_file() || name == "lock" || name.front() == '.') continue;
    KILN_ASSIGN_OR_RETURN(Digest d, Sha256File(it->path()));
    KILN_TRY(ctx.inputs->CaptureFile("apt-list", name, it->path(), ToHex(d)));
    ++lists;
  }
  if (ec) return MakeError(ErrorCode::kIo, "cannot list apt's indices: " + ec.message());
  ctx.Report("sources", "archived " + std::to_string(lock.packages.size()) + " packages and " + std::to_string(lists) +
                            " apt indices");
  return OkStatus();
}

Status StageDebianInputs(const LockFile& lock, const fs::path& dir, const BuildContext& ctx) {
  std::error_code ec;
  for (const char* sub : {kArchivedDebsDir, kArchivedListsDir}) {
    fs::create_directories(dir / sub, ec);
    if (ec) return MakeError(ErrorCode::kIo, "cannot create " + (dir / sub).string() + ": " + ec.message());
  }
  for (const auto& p : lock.packages) {
    KILN_ASSIGN_OR_RETURN(std::string file, AptArchiveFileName(p));
    KILN_TRY(ctx.inputs->SupplyFile("deb", DebPurl(p.name, p.version, p.architecture), p.sha256,
                                    dir / kArchivedDebsDir / file));
  }
  KILN_ASSIGN_OR_RETURN(auto lists, ctx.inputs->SupplyAll("apt-list", dir / kArchivedListsDir));
  if (lists.empty()) return MakeError(ErrorCode::kInput, "the input archive holds no apt indices for the debian base");
  ctx.Report("sources", "staged " + std::to_string(lock.packages.size()) + " packages and " +
                            std::to_string(lists.size()) + " apt indices from the input archive");
  return OkStatus();
}

}  // namespace kiln::sources
