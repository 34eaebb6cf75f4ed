#include "builder/publish/channel_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "builder/channel/channel_index.h"
#include "builder/common/confined_file.h"

namespace kiln::publish {

namespace fs = std::filesystem;

namespace {

Error IoError(const std::string& what) { return MakeError(ErrorCode::kIo, what + ": " + std::strerror(errno)); }

Status SyncDirectory(int fd, const fs::path& path) {
  if (::fsync(fd) != 0) return IoError("cannot sync the channel directory " + path.string());
  return OkStatus();
}

}  // namespace

Result<ChannelDir> ChannelDir::OpenLocked(const fs::path& dir, const std::function<void()>& on_wait) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return IoError("cannot create " + dir.string());
  KILN_ASSIGN_OR_RETURN(UniqueFd fd, OpenDirectory(dir));
  // A second publish into the same channel waits here until the first is done, so two
  // publishes never interleave their payloads and index.
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) return ChannelDir(dir, std::move(fd));
  if (errno == EWOULDBLOCK && on_wait) on_wait();
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return IoError("cannot lock the channel directory " + dir.string());
  }
  return ChannelDir(dir, std::move(fd));
}

Result<std::optional<std::string>> ChannelDir::ReadIndex(std::size_t max_size) const {
  struct stat st {};
  const std::string name(channel::kIndexFileName);
  if (::fstatat(fd_.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return IoError("cannot read " + (path_ / name).string());
  }
  KILN_ASSIGN_OR_RETURN(std::string bytes,
                        ReadConfined(fd_.get(), name, max_size).WithContext("channel index " + (path_ / name).string()));
  return std::optional<std::string>(std::move(bytes));
}

constexpr std::string_view kTempPrefix = ".kiln-publish-";

std::string ChannelDir::TempName(std::string_view final_name) const {
  return std::string(kTempPrefix) + std::to_string(::getpid()) + "-" + std::string(final_name);
}

Status ChannelDir::RemoveStaleTemporaries() const {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(path_, ec)) {
    const std::string name = e.path().filename().string();
    if (name.starts_with(kTempPrefix)) KILN_TRY(Remove(name));
  }
  if (ec) return MakeError(ErrorCode::kIo, "cannot list " + path_.string() + ": " + ec.message());
  return OkStatus();
}

Status ChannelDir::Commit(const std::string& temp_name, const std::string& final_name) const {
  if (::renameat(fd_.get(), temp_name.c_str(), fd_.get(), final_name.c_str()) != 0)
    return IoError("cannot rename " + temp_name + " to " + final_name + " in " + path_.string());
  return SyncDirectory(fd_.get(), path_);
}

Status ChannelDir::WriteAtomically(const std::string& final_name, std::string_view data) const {
  const std::string temp = TempName(final_name);
  ::unlinkat(fd_.get(), temp.c_str(), 0);
  UniqueFd out(::openat(fd_.get(), temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!out.valid()) return IoError("cannot create " + (path_ / temp).string());
  Status written = [&]() -> Status {
    // Served by a web server: readable by all, whatever the umask.
    if (::fchmod(out.get(), 0644) != 0) return IoError("cannot set the mode of " + temp);
    std::size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::write(out.get(), data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return IoError("cannot write " + (path_ / temp).string());
      done += static_cast<std::size_t>(n);
    }
    if (::fsync(out.get()) != 0) return IoError("cannot sync " + (path_ / temp).string());
    return OkStatus();
  }();
  if (!written.ok()) {
    ::unlinkat(fd_.get(), temp.c_str(), 0);
    return written;
  }
  return Commit(temp, final_name);
}

Status ChannelDir::Remove(const std::string& name) const {
  if (::unlinkat(fd_.get(), name.c_str(), 0) != 0 && errno != ENOENT)
    return IoError("cannot remove " + (path_ / name).string());
  return SyncDirectory(fd_.get(), path_);
}

}  // namespace kiln::publish
