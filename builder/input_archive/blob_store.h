// The blobs of an input archive, DIR/blobs/sha256/<hex>, written and read with their digest
// checked on every pass: a blob is hashed while it is copied in (the name is the digest of the
// bytes actually stored) and again while it is copied out (a changed or truncated blob is an
// error before anything uses it). Blob names are only ever built from validated hex digests.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "builder/common/result.h"
#include "builder/common/unique_fd.h"

namespace kiln::input_archive {

// Copies `file` into dir/blobs/sha256/<hex> (kept when present) and returns its hex digest
// and size. expected_hex non-empty: kIntegrity when the content differs (naming `what`).
struct StoredBlob {
  std::string hex;
  std::uint64_t size = 0;
};
Result<StoredBlob> StoreBlob(const std::filesystem::path& dir, const std::filesystem::path& file,
                             std::string_view expected_hex, const std::string& what);

// Copies blob `hex` (IsSha256Hex) of archive `blobs_fd` (an open DIR/blobs/sha256) into out_fd,
// checking its size and digest; kIntegrity naming `what` when they differ, kInput when the
// archive lacks it.
Status CopyBlobOut(int blobs_fd, std::string_view hex, std::uint64_t size, int out_fd, const std::string& what);

// Creates dest (must not exist, mode 0644) and copies the blob into it; removes it on failure.
Status CopyBlobToFile(int blobs_fd, std::string_view hex, std::uint64_t size, const std::filesystem::path& dest,
                      const std::string& what);

}  // namespace kiln::input_archive
