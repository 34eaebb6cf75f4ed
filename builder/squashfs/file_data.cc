#include "builder/squashfs/file_data.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "builder/squashfs/sqfs_handles.h"
#include "builder/tree/content_reader.h"

namespace kiln::squashfs {
namespace {

Error AppendError(int rc, const std::string& path) {
  return MakeError(rc == SQFS_ERROR_IO ? ErrorCode::kIo : ErrorCode::kBuild,
                   "squashfs: cannot add the data of '/" + path + "': " + SqfsErrorText(rc));
}

}  // namespace

Result<std::uint64_t> AppendFileData(sqfs_block_processor_t* proc, const std::string& path,
                                     const tree::FileContent& content,
                                     std::vector<std::uint8_t>& buffer, ProgressThrottle& progress) {
  if (content.is_inline) {
    const std::string& data = content.inline_data;
    for (std::size_t at = 0; at < data.size(); at += buffer.size()) {
      std::size_t n = std::min(buffer.size(), data.size() - at);
      if (int rc = sqfs_block_processor_append(proc, data.data() + at, n); rc != 0)
        return AppendError(rc, path);
      progress.Add(n);
    }
    return static_cast<std::uint64_t>(data.size());
  }

  const std::string where = "'/" + path + "'";
  KILN_ASSIGN_OR_RETURN(tree::ContentReader reader, tree::ContentReader::Open(content).WithContext(where));
  std::uint64_t total = 0;
  for (;;) {
    KILN_ASSIGN_OR_RETURN(std::size_t n, reader.Read(reinterpret_cast<char*>(buffer.data()), buffer.size())
                                             .WithContext(where));
    if (n == 0) break;
    total += n;
    if (int rc = sqfs_block_processor_append(proc, buffer.data(), n); rc != 0) return AppendError(rc, path);
    progress.Add(n);
  }
  return total;
}

}  // namespace kiln::squashfs
