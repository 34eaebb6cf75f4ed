// Owner of a C stdio stream, closed when the owner goes away. Where the close result matters
// (a file being written), close it explicitly: std::fclose(file.release()).
#pragma once

#include <cstdio>
#include <memory>

namespace kiln {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using UniqueFile = std::unique_ptr<std::FILE, FileCloser>;

}  // namespace kiln
