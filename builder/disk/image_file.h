// Helpers shared by the partition builders (ext4, vfat, convert): the disk image file they
// write into at an offset and tool invocations.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "builder/common/result.h"
#include "builder/common/subprocess.h"

namespace kiln::disk {

// Creates image (mode 0644) when missing and extends it, sparsely, to at least size bytes.
// Existing content is kept: partitions are written into the image one after the other.
Status EnsureImageSize(const std::filesystem::path& image, std::uint64_t size);

// A ProcessSpec for an external tool (brace-initialising ProcessSpec trips
// -Wmissing-field-initializers).
ProcessSpec ToolSpec(std::vector<std::string> argv, std::map<std::string, std::string> env = {},
                     std::vector<std::string> unset_env = {});

// RunChecked with `context` added to the error. (KILN_TRY(RunChecked(..).WithContext(..))
// would bind a reference to a destroyed temporary.)
Result<ProcessResult> RunTool(const ProcessSpec& spec, const std::string& context,
                              ErrorCode code = ErrorCode::kBuild);

}  // namespace kiln::disk
