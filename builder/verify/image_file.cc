#include "builder/verify/image_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "builder/disk/convert.h"

namespace kiln::verify {

namespace fs = std::filesystem;

std::uint64_t OpenImage::size() const {
  struct stat st {};
  return ::fstat(fd_.get(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

Result<std::string> DetectImageFormat(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return MakeError(ErrorCode::kInput, "cannot open " + path.string() + ": " + std::strerror(errno));
  char magic[4] = {};
  ssize_t n = ::pread(fd, magic, sizeof magic, 0);
  ::close(fd);
  if (n == 4 && std::memcmp(magic, "QFI\xfb", 4) == 0) return std::string("qcow2");
  if (n == 4 && std::memcmp(magic, "KDMV", 4) == 0) return std::string("vmdk");
  return std::string("raw");
}

Result<OpenImage> OpenRawImage(const fs::path& path, const fs::path& work_dir, bool allow_external_files) {
  KILN_ASSIGN_OR_RETURN(std::string format, DetectImageFormat(path));
  std::optional<TempDir> tmp;
  fs::path raw = path;
  if (format != "raw") {
    KILN_ASSIGN_OR_RETURN(TempDir dir, TempDir::Create(work_dir, "kiln-verify"));
    KILN_ASSIGN_OR_RETURN(raw, disk::ToRaw(path, dir.path(), format, allow_external_files));
    tmp = std::move(dir);
  }
  int fd = ::open(raw.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return MakeError(ErrorCode::kInput, "cannot open " + raw.string() + ": " + std::strerror(errno));
  return OpenImage(fd, std::move(tmp));
}

}  // namespace kiln::verify
