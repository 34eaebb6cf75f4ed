#include "builder/tree/content_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "builder/common/files.h"

namespace kiln::tree {

Result<ContentReader> ContentReader::Open(const FileContent& content) {
  if (content.is_inline) {
    ContentReader r(content, UniqueFd());
    r.pos_ = 0;
    r.remaining_ = content.inline_data.size();
    return r;
  }
  UniqueFd fd(::open(content.host_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0)
    return MakeError(ErrorCode::kInput, "cannot open " + content.host_path.string() + ": " + std::strerror(errno));
  return ContentReader(content, std::move(fd));
}

Result<std::size_t> ContentReader::Read(char* buf, std::size_t capacity) {
  std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(capacity, remaining_));
  if (want == 0) {
    // A whole host file must end here too: one that grew since it was recorded is an error.
    if (fd_.get() >= 0 && content_->offset == 0) {
      char extra;
      ssize_t n;
      do n = ::pread(fd_.get(), &extra, 1, static_cast<off_t>(pos_));
      while (n < 0 && errno == EINTR);
      if (n > 0)
        return MakeError(ErrorCode::kInput, content_->host_path.string() + " changed while the image was built: it grew past " +
                                                std::to_string(content_->size) + " bytes");
    }
    return std::size_t{0};
  }
  if (fd_.get() < 0) {
    std::memcpy(buf, content_->inline_data.data() + pos_, want);
    pos_ += want;
    remaining_ -= want;
    return want;
  }
  for (;;) {
    ssize_t n = ::pread(fd_.get(), buf, want, static_cast<off_t>(pos_));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return MakeError(ErrorCode::kIo, "cannot read " + content_->host_path.string() + ": " + std::strerror(errno));
    if (n == 0)
      return MakeError(ErrorCode::kInput, content_->host_path.string() + " changed while the image was built: it ends " +
                                              std::to_string(remaining_) + " bytes early");
    pos_ += static_cast<std::uint64_t>(n);
    remaining_ -= static_cast<std::uint64_t>(n);
    return static_cast<std::size_t>(n);
  }
}

Result<std::string> ReadWholeContent(const FileContent& content) {
  if (content.is_inline) return content.inline_data;
  KILN_ASSIGN_OR_RETURN(ContentReader r, ContentReader::Open(content));
  std::string out(static_cast<std::size_t>(content.size), '\0');
  std::size_t at = 0;
  while (at < out.size()) {
    KILN_ASSIGN_OR_RETURN(std::size_t n, r.Read(out.data() + at, out.size() - at));
    at += n;
  }
  return out;
}

Result<std::filesystem::path> ContentAsFile(const FileContent& content, const std::filesystem::path& spill) {
  if (!content.is_inline && content.offset == 0) {
    struct stat st{};
    if (::stat(content.host_path.c_str(), &st) == 0 && static_cast<std::uint64_t>(st.st_size) == content.size)
      return content.host_path;
  }
  KILN_ASSIGN_OR_RETURN(std::string bytes, ReadWholeContent(content));
  KILN_TRY(WriteFile(spill, bytes));
  return spill;
}

}  // namespace kiln::tree
