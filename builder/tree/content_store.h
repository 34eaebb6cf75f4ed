// A directory of staged file contents named by their SHA-256 ("<dir>/<hex>"). Importers that
// read bytes out of an archive (tarball bases, OCI layers) stream each regular file here once
// and point FileContent::host_path at the blob; identical files share one blob. Blobs are
// mode 0600 whatever the umask: only the builder reads them.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <istream>
#include <string_view>

#include "builder/common/result.h"
#include "builder/tree/file_tree.h"

namespace kiln::tree {

class ContentStore {
 public:
  // Fills buf with up to `capacity` bytes; returns how many (0 at the end of the content).
  using ChunkReader = std::function<Result<std::size_t>(char* buf, std::size_t capacity)>;

  // Uses dir (created with its parents when missing) as the blob directory.
  static Result<ContentStore> Create(const std::filesystem::path& dir);

  // Streams the content into a temporary file while hashing it, then renames it to the
  // digest's name (or drops it when that blob already exists). host_path and size are set.
  Result<FileContent> Put(const ChunkReader& read);
  Result<FileContent> Put(std::istream& in);
  Result<FileContent> Put(std::string_view data);

  const std::filesystem::path& dir() const { return dir_; }

 private:
  explicit ContentStore(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::filesystem::path dir_;
};

}  // namespace kiln::tree
