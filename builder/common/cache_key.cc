#include "builder/common/cache_key.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "builder/common/unique_fd.h"

namespace kiln {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kHmacBlock = 64;  // SHA-256's block size (RFC 2104)

std::string Errno() { return std::strerror(errno); }

std::string Octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

void Pad(const CacheKey::Bytes& key, std::uint8_t pad, std::uint8_t out[kHmacBlock]) {
  std::memset(out, pad, kHmacBlock);
  for (std::size_t i = 0; i < key.size(); ++i) out[i] = static_cast<std::uint8_t>(key[i] ^ pad);
}

Result<CacheKey> ReadKey(const fs::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return MakeError(ErrorCode::kIo, "cannot open the cache key " + path.string() + ": " + Errno());
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return MakeError(ErrorCode::kIo, "cannot stat " + path.string() + ": " + Errno());
  if (!S_ISREG(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 077) != 0 ||
      st.st_size != static_cast<off_t>(sizeof(CacheKey::Bytes)))
    return MakeError(ErrorCode::kIntegrity,
                     "the cache key " + path.string() + " is not private to uid " + std::to_string(::geteuid()) +
                         " (owner uid " + std::to_string(st.st_uid) + ", mode " + Octal(st.st_mode) + ", " +
                         std::to_string(st.st_size) + " bytes); remove it to make a new one");
  CacheKey::Bytes b{};
  std::size_t got = 0;
  while (got < b.size()) {
    ssize_t n = ::read(fd.get(), b.data() + got, b.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return MakeError(ErrorCode::kIo, "cannot read the cache key " + path.string());
    got += static_cast<std::size_t>(n);
  }
  return CacheKey(b);
}

// A fresh key under a temporary name, hard-linked to `path`: if another build linked its
// key first, link fails with EEXIST and both use that one.
Status CreateKey(const fs::path& path) {
  CacheKey::Bytes b{};
  std::size_t got = 0;
  while (got < b.size()) {
    ssize_t n = ::getrandom(b.data() + got, b.size() - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return MakeError(ErrorCode::kIo, "getrandom: " + Errno());
    got += static_cast<std::size_t>(n);
  }
  static std::atomic<unsigned> counter{0};
  const fs::path tmp = path.string() + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid()) return MakeError(ErrorCode::kIo, "cannot create " + tmp.string() + ": " + Errno());
    if (::fchmod(fd.get(), 0600) != 0 || ::write(fd.get(), b.data(), b.size()) != static_cast<ssize_t>(b.size()) ||
        ::fsync(fd.get()) != 0) {
      Status s = MakeError(ErrorCode::kIo, "cannot write " + tmp.string() + ": " + Errno());
      ::unlink(tmp.c_str());
      return s;
    }
  }
  const int rc = ::link(tmp.c_str(), path.c_str());
  const int err = errno;
  ::unlink(tmp.c_str());
  if (rc != 0 && err != EEXIST)
    return MakeError(ErrorCode::kIo, "cannot create the cache key " + path.string() + ": " + std::strerror(err));
  return OkStatus();
}

}  // namespace

CacheKey::Mac::Mac(const Bytes& key) : key_(key) {
  std::uint8_t ipad[kHmacBlock];
  Pad(key_, 0x36, ipad);
  inner_.Update(ipad, sizeof ipad);
}

Digest CacheKey::Mac::Finish() {
  const Digest inner = inner_.Finish();
  std::uint8_t opad[kHmacBlock];
  Pad(key_, 0x5c, opad);
  Sha256 outer;
  outer.Update(opad, sizeof opad);
  outer.Update(inner.data(), inner.size());
  return outer.Finish();
}

Digest CacheKey::Seal(std::string_view msg) const {
  Mac m = Start();
  m.Update(msg);
  return m.Finish();
}

Status EnsurePrivateDir(const fs::path& dir) {
  if (dir.empty()) return MakeError(ErrorCode::kUsage, "no cache directory");
  std::error_code ec;
  if (dir.has_parent_path()) fs::create_directories(dir.parent_path(), ec);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return MakeError(ErrorCode::kIo, "cannot create the cache directory " + dir.string() + ": " + Errno());
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0)
    return MakeError(ErrorCode::kIo, "cannot stat the cache directory " + dir.string() + ": " + Errno());
  if (!S_ISDIR(st.st_mode))
    return MakeError(ErrorCode::kUsage, "the cache directory " + dir.string() + " is not a directory (or is a symbolic link)");
  if (st.st_uid != ::geteuid())
    return MakeError(ErrorCode::kUsage, "the cache directory " + dir.string() + " belongs to uid " +
                                            std::to_string(st.st_uid) + ", not to uid " + std::to_string(::geteuid()) +
                                            " (caches are private: pass --cache DIR with a directory of your own)");
  // Written by an older kiln, or made by hand: only its owner may read or plant entries.
  if ((st.st_mode & 077) != 0 && ::chmod(dir.c_str(), 0700) != 0)
    return MakeError(ErrorCode::kIo, "cannot make the cache directory " + dir.string() + " private: " + Errno());
  return OkStatus();
}

Result<CacheKey> LoadCacheKey(const fs::path& cache_dir) {
  KILN_TRY(EnsurePrivateDir(cache_dir));
  const fs::path path = cache_dir / kCacheKeyFile;
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return MakeError(ErrorCode::kIo, "cannot stat " + path.string() + ": " + Errno());
    KILN_TRY(CreateKey(path));
  }
  return ReadKey(path);
}

}  // namespace kiln
