#include "builder/manifest/published_files.h"

#include "builder/artifacts/artifacts.h"
#include "builder/common/files.h"

namespace kiln::manifest {

namespace fs = std::filesystem;

Result<PublishedFiles> ReadPublishedFiles(const fs::path& out_dir) {
  const fs::path path = out_dir / artifacts::kChecksumsFileName;
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (!ec && size > kMaxSha256SumsSize)
    return MakeError(ErrorCode::kInput,
                     path.string() + " is larger than " + std::to_string(kMaxSha256SumsSize) + " bytes");
  KILN_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  KILN_ASSIGN_OR_RETURN(std::vector<ArtifactEntry> sums, ParseSha256Sums(text));
  PublishedFiles out;
  for (auto& a : sums) {
    const auto slash = a.name.find('/');
    if (slash != std::string::npos) {
      ++out.layouts[a.name.substr(0, slash + 1)];
      continue;
    }
    std::error_code size_ec;
    a.size = fs::file_size(out_dir / a.name, size_ec);
    if (size_ec) a.size = 0;
    out.files.push_back(std::move(a));
  }
  return out;
}

}  // namespace kiln::manifest
