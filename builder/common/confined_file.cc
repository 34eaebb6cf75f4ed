#include "builder/common/confined_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace kiln {

namespace {

Error Refused(std::string_view name, const std::string& why) {
  return MakeError(ErrorCode::kInput, "'" + std::string(name) + "' " + why);
}

}  // namespace

bool IsConfinedRelativePath(std::string_view name) {
  if (name.empty() || name.size() > 4096 || name.front() == '/') return false;
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f || c == '\\') return false;
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t slash = name.find('/', start);
    std::string_view part = name.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

Result<UniqueFd> OpenDirectory(const std::filesystem::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return MakeError(ErrorCode::kInput, "cannot open directory " + dir.string() + ": " + std::strerror(errno));
  return fd;
}

Result<UniqueFd> OpenConfined(int dir_fd, std::string_view name) {
  if (!IsConfinedRelativePath(name)) return Refused(name, "is not a relative path inside the directory");
  std::vector<std::string> parts;
  for (std::size_t start = 0;;) {
    std::size_t slash = name.find('/', start);
    parts.emplace_back(name.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  UniqueFd dir;  // the directory opened last (dir_fd itself at first)
  int at = dir_fd;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    UniqueFd next(::openat(at, parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next.valid()) return Refused(name, "cannot be opened: " + parts[i] + " is not a directory (" + std::strerror(errno) + ")");
    dir = std::move(next);
    at = dir.get();
  }
  // O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOCTTY: a terminal stays untouched.
  UniqueFd fd(::openat(at, parts.back().c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ELOOP) return Refused(name, "is a symbolic link");
    return Refused(name, std::string("cannot be opened: ") + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Refused(name, std::string("cannot be read: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return Refused(name, "is not a regular file");
  int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags >= 0) ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
  return fd;
}

Result<std::string> ReadConfined(int dir_fd, std::string_view name, std::uint64_t max_size) {
  KILN_ASSIGN_OR_RETURN(UniqueFd fd, OpenConfined(dir_fd, name));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || static_cast<std::uint64_t>(st.st_size) > max_size)
    return Refused(name, "is larger than " + std::to_string(max_size) + " bytes");
  std::string out;
  out.reserve(static_cast<std::size_t>(st.st_size));
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Refused(name, std::string("cannot be read: ") + std::strerror(errno));
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > max_size)  // grew while being read
      return Refused(name, "is larger than " + std::to_string(max_size) + " bytes");
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

Result<FileDigest> Sha256Fd(int fd) {
  Sha256 hash;
  FileDigest out;
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return MakeError(ErrorCode::kIo, std::string("cannot read: ") + std::strerror(errno));
    if (n == 0) break;
    hash.Update(std::string_view(buf.data(), static_cast<std::size_t>(n)));
    out.size += static_cast<std::uint64_t>(n);
  }
  out.sha256 = hash.Finish();
  return out;
}

}  // namespace kiln
