// Opening files named by untrusted text (a SHA256SUMS line, a manifest entry) without leaving
// a directory: every component is opened with openat(O_NOFOLLOW) below a directory fd, so
// neither "..", an absolute path nor a symlink anywhere on the way can reach another file, and
// only regular files are returned (never a FIFO, a device such as /dev/zero, or a socket).
// Used by `kiln verify` for output directories.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "builder/common/result.h"
#include "builder/common/sha256.h"
#include "builder/common/unique_fd.h"

namespace kiln {

// True for "a", "a/b.c": not empty, not absolute, no empty, "." or ".." component, no control
// characters or backslashes (sha256sum escapes those), at most 4096 bytes.
bool IsConfinedRelativePath(std::string_view name);

// Opens a directory to resolve names below (O_DIRECTORY, following no final symlink).
Result<UniqueFd> OpenDirectory(const std::filesystem::path& dir);

// Opens `name` (IsConfinedRelativePath) below dir_fd read-only; kInput unless every parent is a
// real directory and the file a regular file.
Result<UniqueFd> OpenConfined(int dir_fd, std::string_view name);

// The whole content of a regular file opened with OpenConfined; kInput when larger than max_size.
Result<std::string> ReadConfined(int dir_fd, std::string_view name, std::uint64_t max_size);

// SHA-256 and size of an open file, read to its end.
struct FileDigest {
  Digest sha256{};
  std::uint64_t size = 0;
};
Result<FileDigest> Sha256Fd(int fd);

}  // namespace kiln
