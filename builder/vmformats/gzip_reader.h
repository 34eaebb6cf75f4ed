// Streams the decompressed bytes of a gzip file (zlib), for checking archives without
// unpacking them. Reads are bounded by the caller's buffer; corrupt input is an error.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include "builder/common/result.h"
#include "builder/common/unique_fd.h"

namespace kiln::vmformats {

class GzipReader {
 public:
  static Result<GzipReader> Open(const std::filesystem::path& path);
  GzipReader(GzipReader&&) noexcept;
  GzipReader& operator=(GzipReader&&) noexcept;
  ~GzipReader();

  // Up to size bytes; 0 at the end of the stream.
  Result<std::size_t> Read(char* data, std::size_t size);
  // Exactly size bytes (an early end is an error).
  Status ReadExact(char* data, std::size_t size);

 private:
  struct State;
  explicit GzipReader(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

}  // namespace kiln::vmformats
