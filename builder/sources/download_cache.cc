#include "builder/sources/download_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "builder/common/cache_key.h"
#include "builder/common/unique_fd.h"
#include "builder/transfer/download.h"

namespace kiln::sources {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kReportEvery = 1 << 20;  // progress events at most once per MiB


std::string Errno() { return std::strerror(errno); }

Status EnsureDir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot create cache directory " + dir.string() + ": " + ec.message());
  return OkStatus();
}

std::string UniqueSuffix() {
  static std::atomic<unsigned> counter{0};
  return std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
}

// Opens and exclusively locks the part file of one digest. The inode check makes sure we did
// not lock a file another process renamed into the cache or deleted while we waited.
Result<UniqueFd> OpenLockedPart(const fs::path& part) {
  for (;;) {
    UniqueFd fd(::open(part.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (fd.get() < 0) return MakeError(ErrorCode::kIo, "cannot open " + part.string() + ": " + Errno());
    while (::flock(fd.get(), LOCK_EX) != 0) {
      if (errno != EINTR) return MakeError(ErrorCode::kIo, "cannot lock " + part.string() + ": " + Errno());
    }
    struct stat held {}, named {};
    if (::fstat(fd.get(), &held) == 0 && ::stat(part.c_str(), &named) == 0 &&
        held.st_ino == named.st_ino && held.st_dev == named.st_dev)
      return fd;
  }
}

// Hashes what an interrupted download left, so the transfer can resume behind it.
Result<std::uint64_t> HashExisting(int fd, Sha256& hasher, const fs::path& part) {
  std::vector<char> buf(1 << 20);
  std::uint64_t total = 0;
  if (::lseek(fd, 0, SEEK_SET) < 0) return MakeError(ErrorCode::kIo, "cannot seek " + part.string());
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return MakeError(ErrorCode::kIo, "cannot read " + part.string() + ": " + Errno());
    }
    if (n == 0) break;
    hasher.Update(buf.data(), static_cast<std::size_t>(n));
    total += static_cast<std::uint64_t>(n);
  }
  return total;
}

// The part file of one download and the running digest of what it holds.
class FileSink : public transfer::DownloadSink {
 public:
  FileSink(int fd, std::string part) : fd_(fd), part_(std::move(part)) {}
  Status Restart() override {
    if (::ftruncate(fd_, 0) != 0 || ::lseek(fd_, 0, SEEK_SET) != 0)
      return MakeError(ErrorCode::kIo, "cannot truncate " + part_ + ": " + Errno());
    hasher.Reset();
    return OkStatus();
  }
  Status Write(std::string_view bytes) override {
    std::size_t done = 0;
    while (done < bytes.size()) {
      ssize_t w = ::write(fd_, bytes.data() + done, bytes.size() - done);
      if (w < 0) {
        if (errno == EINTR) continue;
        return MakeError(ErrorCode::kIo, "cannot write " + part_ + ": " + Errno());
      }
      done += static_cast<std::size_t>(w);
    }
    hasher.Update(bytes.data(), bytes.size());
    return OkStatus();
  }
  Sha256 hasher;

 private:
  int fd_;
  std::string part_;
};

// Downloads into the (locked) part file, which holds `offset` bytes already; returns the
// bytes it holds at the end.
Result<std::uint64_t> DownloadInto(const std::string& url, std::uint64_t offset, FileSink& sink,
                                   const BuildContext& ctx, const FetchOptions& opts) {
  transfer::DownloadOptions d;
  d.retry = {opts.max_attempts, opts.backoff_base, opts.backoff_max};
  d.limits = {opts.connect_timeout_seconds, opts.low_speed_limit_bytes, opts.low_speed_time_seconds};
  d.max_redirects = opts.max_redirects;
  d.on_retry = [&](const Error& why) { ctx.Report("sources", "retrying " + url + " (" + why.message + ")"); };
  std::uint64_t last_report = offset;
  d.on_progress = [&](std::uint64_t held, std::uint64_t total) {
    if (held - last_report < kReportEvery) return;
    last_report = held;
    ctx.Report("sources", "downloading " + url, held, total);
  };
  return transfer::Download(url, offset, sink, d);
}

Status Publish(int fd, const fs::path& from, const fs::path& to) {
  ::fchmod(fd, 0644);  // no umask leaking into the cache
  if (::fsync(fd) != 0) return MakeError(ErrorCode::kIo, "cannot sync " + from.string() + ": " + Errno());
  if (::rename(from.c_str(), to.c_str()) != 0)
    return MakeError(ErrorCode::kIo, "cannot move " + from.string() + " into the cache: " + Errno());
  return OkStatus();
}

Error MismatchError(const std::string& what, std::string_view expected, const Digest& actual) {
  return MakeError(ErrorCode::kIntegrity, "sha256 mismatch for " + what + ": expected " +
                                              std::string(expected) + ", got " + ToHex(actual));
}

// A blob under a pinned digest is used only if it still hashes to it: anyone who could write
// the cache could have put other bytes under that name. A mismatch is removed and fetched
// again.
bool VerifiedHit(const fs::path& blob, const std::string& hex, const BuildContext& ctx) {
  std::error_code ec;
  if (!fs::is_regular_file(blob, ec)) return false;
  auto d = Sha256File(blob);
  if (d.ok() && ToHex(*d) == hex) return true;
  ctx.Report("sources", "warning: ignoring corrupt download cache entry " + blob.string() + ": " +
                            (d.ok() ? "its content hashes to " + ToHex(*d) : d.error().message));
  fs::remove(blob, ec);
  return false;
}

// file:// without a digest: read it once and cache it under what it hashes to.
Result<fs::path> FetchUnpinned(const FetchRequest& req, const BuildContext& ctx,
                               const FetchOptions& opts) {
  fs::path tmp_dir = ctx.cache_dir / "tmp";
  KILN_TRY(EnsureDir(tmp_dir));
  KILN_TRY(EnsureDir(ctx.cache_dir / "blobs" / "sha256"));
  fs::path part = tmp_dir / ("unpinned-" + UniqueSuffix() + ".part");
  UniqueFd fd(::open(part.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0) return MakeError(ErrorCode::kIo, "cannot create " + part.string() + ": " + Errno());
  FileSink sink(fd.get(), part.string());
  auto s = DownloadInto(req.url, 0, sink, ctx, opts);
  if (!s.ok()) {
    ::unlink(part.c_str());
    return std::move(s).error();
  }
  Digest d = sink.hasher.Finish();
  fs::path blob = BlobPath(ctx.cache_dir, ToHex(d));
  Status p = Publish(fd.get(), part, blob);
  if (!p.ok()) {
    ::unlink(part.c_str());
    return std::move(p).error();
  }
  return blob;
}

}  // namespace

fs::path DefaultCacheDir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg && *xdg == '/') return fs::path(xdg) / "kiln";
  const char* home = std::getenv("HOME");
  if (home && *home == '/') return fs::path(home) / ".cache" / "kiln";
  // No shared, predictable fallback (a /tmp directory anyone could create first).
  return {};
}

fs::path BlobPath(const fs::path& cache_dir, std::string_view hex) {
  return cache_dir / "blobs" / "sha256" / std::string(hex);
}

Result<fs::path> Fetch(const FetchRequest& req, const BuildContext& ctx) {
  return Fetch(req, ctx, FetchOptions{});
}

Result<fs::path> Fetch(const FetchRequest& req, const BuildContext& ctx, const FetchOptions& opts) {
  if (ctx.cache_dir.empty()) return MakeError(ErrorCode::kUsage, "no cache directory configured");
  KILN_TRY(EnsurePrivateDir(ctx.cache_dir));
  KILN_ASSIGN_OR_RETURN(transfer::ParsedUrl url, transfer::ParseUrl(req.url));
  const bool is_http = url.scheme == "http" || url.scheme == "https";
  if (!is_http && url.scheme != "file")
    return MakeError(ErrorCode::kInput, "unsupported URL scheme '" + url.scheme + "' in " + req.url +
                                            " (allowed: https, http, file)");
  if (req.sha256.empty()) {
    if (is_http)
      return MakeError(ErrorCode::kInput, "a sha256 is required for the remote URL " + req.url);
    return FetchUnpinned(req, ctx, opts);
  }
  if (!IsSha256Hex(req.sha256))
    return MakeError(ErrorCode::kInput, "malformed sha256 '" + req.sha256 + "' for " + req.url +
                                            " (64 lowercase hex digits)");
  std::string hex = req.sha256;
  std::transform(hex.begin(), hex.end(), hex.begin(), [](unsigned char c) { return std::tolower(c); });
  const fs::path blob = BlobPath(ctx.cache_dir, hex);

  if (VerifiedHit(blob, hex, ctx)) return blob;  // cache hit: no network at all
  if (ctx.offline && is_http)
    return MakeError(ErrorCode::kNetwork, req.url + " is not in the cache " + ctx.cache_dir.string() +
                                              " and --offline forbids downloading it");

  KILN_TRY(EnsureDir(ctx.cache_dir / "tmp"));
  KILN_TRY(EnsureDir(blob.parent_path()));
  const fs::path part = ctx.cache_dir / "tmp" / (hex + ".part");
  // Concurrent builds fetching the same digest queue on this lock; the winner publishes the
  // blob and the others find it when they get the lock.
  KILN_ASSIGN_OR_RETURN(UniqueFd fd, OpenLockedPart(part));
  if (VerifiedHit(blob, hex, ctx)) {
    ::unlink(part.c_str());
    return blob;
  }

  FileSink sink(fd.get(), part.string());
  KILN_ASSIGN_OR_RETURN(std::uint64_t offset, HashExisting(fd.get(), sink.hasher, part));
  const bool resumed = offset > 0;
  if (resumed) ctx.Report("sources", "resuming " + req.url + " at byte " + std::to_string(offset));
  else ctx.Report("sources", "downloading " + req.url);

  auto held = DownloadInto(req.url, offset, sink, ctx, opts);
  if (!held.ok()) {
    if (::lseek(fd.get(), 0, SEEK_END) == 0) ::unlink(part.c_str());  // else keep it: the next fetch resumes it
    return std::move(held).error();
  }
  Digest actual = sink.hasher.Finish();
  if (ToHex(actual) != hex && resumed) {
    // What an earlier run left may be stale (the server's file changed): one clean retry.
    ctx.Report("sources", "restarting " + req.url + " from the beginning");
    KILN_TRY(sink.Restart());
    held = DownloadInto(req.url, 0, sink, ctx, opts);
    if (!held.ok()) return std::move(held).error();
    actual = sink.hasher.Finish();
  }
  if (ToHex(actual) != hex) {
    ::unlink(part.c_str());  // never keep bytes that failed verification
    return MismatchError(req.url, hex, actual);
  }
  KILN_TRY(Publish(fd.get(), part, blob));
  ctx.Report("sources", "cached " + req.url, *held, *held);
  return blob;
}

Result<Digest> VerifyLocalFile(const fs::path& path, std::string_view expected_hex) {
  KILN_ASSIGN_OR_RETURN(Digest d, Sha256File(path));
  if (!expected_hex.empty()) {
    std::string want(expected_hex);
    std::transform(want.begin(), want.end(), want.begin(), [](unsigned char c) { return std::tolower(c); });
    if (ToHex(d) != want) return MismatchError(path.string(), want, d);
  }
  return d;
}

Result<fs::path> AddBlob(const fs::path& file, const BuildContext& ctx) {
  if (ctx.cache_dir.empty()) return MakeError(ErrorCode::kUsage, "no cache directory configured");
  KILN_ASSIGN_OR_RETURN(Digest d, Sha256File(file));
  const fs::path blob = BlobPath(ctx.cache_dir, ToHex(d));
  KILN_TRY(EnsureDir(blob.parent_path()));
  KILN_TRY(EnsureDir(ctx.cache_dir / "tmp"));
  std::error_code ec;
  ::chmod(file.c_str(), 0644);
  if (::rename(file.c_str(), blob.c_str()) == 0) return blob;
  if (errno != EXDEV) return MakeError(ErrorCode::kIo, "cannot move " + file.string() + " into the cache: " + Errno());
  const fs::path tmp = ctx.cache_dir / "tmp" / ("add-" + UniqueSuffix() + ".part");
  fs::copy_file(file, tmp, fs::copy_options::overwrite_existing, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return MakeError(ErrorCode::kIo, "cannot copy " + file.string() + " into the cache: " + ec.message());
  }
  // The copy is checked before it becomes visible under its digest.
  auto copied = VerifyLocalFile(tmp, ToHex(d));
  if (!copied.ok()) {
    fs::remove(tmp, ec);
    return std::move(copied).error();
  }
  ::chmod(tmp.c_str(), 0644);
  if (::rename(tmp.c_str(), blob.c_str()) != 0) {
    fs::remove(tmp, ec);
    return MakeError(ErrorCode::kIo, "cannot move " + tmp.string() + " into the cache: " + Errno());
  }
  fs::remove(file, ec);
  return blob;
}

}  // namespace kiln::sources
