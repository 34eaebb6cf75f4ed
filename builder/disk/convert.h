// qcow2 and vmdk outputs made from the raw disk image with qemu-img, and the way back to raw
// for `kiln verify` of a qcow2. qemu-img's qcow2 output is byte-identical across runs; its
// vmdk descriptor carries a random CID, which ConvertImage replaces with one derived from
// the file's content so identical inputs still give identical files.
#pragma once

#include <filesystem>
#include <string>

#include "builder/common/result.h"

namespace kiln::disk {

// Converts raw (a raw disk image) into out, format "qcow2" or "vmdk" (vmdk_subformat
// "monolithicSparse" or "streamOptimized"; both carry the same embedded descriptor, whose
// CID is made deterministic). Written under a temporary directory beside out and renamed
// into place when complete.
Status ConvertImage(const std::filesystem::path& raw, const std::filesystem::path& out,
                    const std::string& format, const std::string& vmdk_subformat = "monolithicSparse");

// Converts image of `format` ("qcow2", "vmdk" or "raw"; never probed) to a sparse raw file
// dir/<stem>.raw and returns its path. The caller owns dir (usually a TempDir). An image that
// names other host files (backing file, data file, extents) is refused (kInput) unless
// allow_external_files: see image_references.h.
Result<std::filesystem::path> ToRaw(const std::filesystem::path& image, const std::filesystem::path& dir,
                                    const std::string& format, bool allow_external_files = false);

}  // namespace kiln::disk
