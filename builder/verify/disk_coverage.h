// What `kiln verify IMAGE` says about the parts of a disk the root signature does not reach:
// with the signed build manifest (named, or NAME.manifest.json beside the image) the partition
// table and the ESP's files are compared with it; the data partition is writable by design;
// anything else is reported as not covered. Used by VerifyDiskImage.
#pragma once

#include <string>

#include "builder/common/result.h"
#include "builder/disk/gpt.h"
#include "builder/verify/verify.h"

namespace kiln::verify {

Status CheckDiskCoverage(const VerifyOptions& opt, int image_fd, const disk::DiskLayout& layout,
                         const std::string& root_hash_hex, VerifyReport& report);

}  // namespace kiln::verify
