// Streams a regular file's bytes from a FileContent: inline data, a whole host file, or a
// range of one (a member read in place from an uncompressed tarball). Consumers that write
// file data out (squashfs, OCI layers, SBOM hashes, boot files) all read through this, so
// each honours the range and notices a host file that shrank or grew while the image was
// being built.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "builder/common/result.h"
#include "builder/common/unique_fd.h"
#include "builder/tree/file_tree.h"

namespace kiln::tree {

class ContentReader {
 public:
  static Result<ContentReader> Open(const FileContent& content);

  // Fills buf with up to `capacity` bytes; 0 once all `size` bytes were read. A host file
  // that ends early, or a whole host file (offset 0) that goes on past `size`, is an error
  // naming it; a range's bytes past `size` are never read.
  Result<std::size_t> Read(char* buf, std::size_t capacity);

  std::uint64_t remaining() const { return remaining_; }

 private:
  ContentReader(const FileContent& content, UniqueFd fd)
      : content_(&content), fd_(std::move(fd)), pos_(content.offset), remaining_(content.size) {}
  const FileContent* content_;
  UniqueFd fd_;  // -1 for inline content
  std::uint64_t pos_;
  std::uint64_t remaining_;
};

// The whole content as a string (for small files: passwd, unit files, dpkg status).
Result<std::string> ReadWholeContent(const FileContent& content);

// Where the bytes are as a file of their own: host_path itself when it holds exactly them,
// else `spill` written with them. For tools that take a file name (objcopy, sbsign).
Result<std::filesystem::path> ContentAsFile(const FileContent& content, const std::filesystem::path& spill);

}  // namespace kiln::tree
