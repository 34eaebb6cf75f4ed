// How a build's inputs reach an input archive and come back from one without the stages
// knowing about archives (builder/input_archive). `kiln build --archive` captures every input
// where the build reads it: recipe files and directories where they are digested, base files
// where they are fetched, the .debs and apt indices where mmdebstrap downloads them.
// `kiln rebuild --from` supplies them again, each copied out of the archive and verified
// against its digest, instead of the network. BuildContext::inputs points at one (null: a
// plain build).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "builder/common/result.h"

namespace kiln {

class InputHooks {
 public:
  virtual ~InputHooks() = default;

  // True while supplying (kiln rebuild --from): base inputs come from Supply*, never from the
  // network or a cache.
  virtual bool Supplying() const = 0;

  // Capture: a file input whose content has digest sha256 (lowercase hex); kIntegrity when the
  // file changed since the build hashed it.
  virtual Status CaptureFile(std::string_view kind, std::string_view name, const std::filesystem::path& file,
                             std::string_view sha256) = 0;
  // Capture: a directory input whose listing digest (pipeline::DigestDirectory) is sha256.
  virtual Status CaptureDirectory(std::string_view kind, std::string_view name, const std::filesystem::path& dir,
                                  std::string_view sha256) = 0;

  // Supply: writes a verified copy of file input (kind, name) with digest sha256 to dest (a
  // new file). kInput naming the input when the archive does not hold it.
  virtual Status SupplyFile(std::string_view kind, std::string_view name, std::string_view sha256,
                            const std::filesystem::path& dest) = 0;
  // Supply: every file input of a kind, each copied (verified) into dir under its name, which
  // is a plain file name. Returns the names, sorted.
  virtual Result<std::vector<std::string>> SupplyAll(std::string_view kind, const std::filesystem::path& dir) = 0;
};

}  // namespace kiln
