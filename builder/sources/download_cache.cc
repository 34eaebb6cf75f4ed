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
#include <thread>

#include "builder/common/cache_key.h"
#include "builder/common/unique_fd.h"
#include "builder/sources/curl_handle.h"

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

// State of one download across its attempts: the part file, the running digest and what the
// current response said.
struct Transfer {
  CURL* curl = nullptr;
  int fd = -1;
  bool is_http = true;
  Sha256 hasher;
  std::uint64_t offset = 0;         // bytes in the part file, all of them hashed
  std::uint64_t attempt_start = 0;  // offset when the current attempt began
  std::int64_t range_start = -1;    // start of the current response's Content-Range
  int io_errno = 0;
  bool range_mismatch = false;
  const BuildContext* ctx = nullptr;
  std::string url;
  std::uint64_t last_report = 0;

  bool Truncate() {
    if (::ftruncate(fd, 0) != 0 || ::lseek(fd, 0, SEEK_SET) != 0) {
      io_errno = errno;
      return false;
    }
    hasher.Reset();
    offset = 0;
    return true;
  }
};

std::size_t OnHeader(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  // A new status line starts a new response (redirects, 100-continue): forget the old range.
  if (line.starts_with("HTTP/")) t->range_start = -1;
  constexpr std::string_view kRange = "content-range:";
  if (line.size() > kRange.size()) {
    std::string head(line.substr(0, kRange.size()));
    std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
    if (head == kRange) {
      std::string rest(line.substr(kRange.size()));
      auto pos = rest.find("bytes");
      if (pos != std::string::npos) t->range_start = std::strtoll(rest.c_str() + pos + 5, nullptr, 10);
    }
  }
  return size * n;
}

std::size_t OnWrite(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::size_t len = size * n;
  if (t->is_http) {
    long code = 0;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code);
    if (code != 200 && code != 206) return len;  // error bodies are not content
    if (code == 200 && t->offset > 0 && t->offset == t->attempt_start) {
      // The server ignored our Range: start the file again.
      if (!t->Truncate()) return 0;
      t->attempt_start = 0;
    }
    if (code == 206 && t->offset == t->attempt_start &&
        t->range_start != static_cast<std::int64_t>(t->attempt_start)) {
      t->range_mismatch = true;
      return 0;
    }
  }
  std::size_t done = 0;
  while (done < len) {
    ssize_t w = ::write(t->fd, data + done, len - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      t->io_errno = errno;
      return 0;
    }
    done += static_cast<std::size_t>(w);
  }
  t->hasher.Update(data, len);
  t->offset += len;
  return len;
}

int OnProgress(void* user, curl_off_t dltotal, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (t->ctx && t->offset - t->last_report >= kReportEvery) {
    t->last_report = t->offset;
    std::uint64_t total = dltotal > 0 ? t->attempt_start + static_cast<std::uint64_t>(dltotal) : 0;
    t->ctx->Report("sources", "downloading " + t->url, t->offset, total);
  }
  return 0;
}

bool RetryableCurlCode(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_RANGE_ERROR:
    case CURLE_SSL_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

bool RetryableStatus(long code) { return code == 408 || code == 429 || (code >= 500 && code <= 599); }

enum class Outcome { kComplete, kRetry, kFail };

struct AttemptResult {
  Outcome outcome = Outcome::kFail;
  Error error;  // for kFail, and the last reason for kRetry
};

AttemptResult RunAttempt(Transfer& t) {
  CURL* h = t.curl;
  t.attempt_start = t.offset;
  t.range_start = -1;
  t.range_mismatch = false;
  curl_easy_setopt(h, CURLOPT_RESUME_FROM_LARGE, static_cast<curl_off_t>(t.offset));
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  CURLcode rc = curl_easy_perform(h);
  long code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);

  if (t.io_errno != 0)
    return {Outcome::kFail, MakeError(ErrorCode::kIo, "cannot write the download of " + t.url +
                                                          ": " + std::strerror(t.io_errno))};
  if (t.range_mismatch) {
    // A range we did not ask for: restart from zero rather than splice wrong bytes.
    if (!t.Truncate()) return {Outcome::kFail, MakeError(ErrorCode::kIo, "cannot truncate a part file")};
    return {Outcome::kRetry, MakeError(ErrorCode::kNetwork, "server answered an unexpected range for " + t.url)};
  }
  if (rc == CURLE_RANGE_ERROR) {
    if (!t.Truncate()) return {Outcome::kFail, MakeError(ErrorCode::kIo, "cannot truncate a part file")};
    return {Outcome::kRetry, MakeError(ErrorCode::kNetwork, "server cannot resume " + t.url)};
  }
  std::string detail = errbuf[0] ? std::string(errbuf) : std::string(curl_easy_strerror(rc));
  if (rc != CURLE_OK) {
    Error e = MakeError(ErrorCode::kNetwork, "cannot download " + t.url + ": " + detail);
    if (rc == CURLE_FILE_COULDNT_READ_FILE) e.code = ErrorCode::kInput;
    return {RetryableCurlCode(rc) ? Outcome::kRetry : Outcome::kFail, e};
  }
  if (!t.is_http || code == 200 || code == 206) return {Outcome::kComplete, {}};
  // 416 after a resume: the part already holds every byte; the digest decides.
  if (code == 416 && t.attempt_start > 0) return {Outcome::kComplete, {}};
  Error e = MakeError(ErrorCode::kNetwork,
                      "HTTP " + std::to_string(code) + " for " + t.url);
  return {RetryableStatus(code) ? Outcome::kRetry : Outcome::kFail, e};
}

void ConfigureHandle(CURL* h, Transfer& t, const std::string& url, const FetchOptions& opts) {
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, opts.max_redirects);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, t.is_http ? "http,https" : "file");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  ApplyTransferDefaults(h, {opts.connect_timeout_seconds, opts.low_speed_limit_bytes, opts.low_speed_time_seconds});
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnWrite);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &OnProgress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
}

// Downloads into the (locked) part file until complete, retrying with backoff.
Status DownloadInto(Transfer& t, const FetchOptions& opts) {
  Error last;
  for (int attempt = 1; attempt <= opts.max_attempts; ++attempt) {
    AttemptResult r = RunAttempt(t);
    if (r.outcome == Outcome::kComplete) return OkStatus();
    if (r.outcome == Outcome::kFail) return r.error;
    last = r.error;
    if (attempt == opts.max_attempts) break;
    auto delay = opts.backoff_base * (1LL << std::min(attempt - 1, 20));
    delay = std::min<std::chrono::milliseconds>(delay, opts.backoff_max);
    t.ctx->Report("sources", "retrying " + t.url + " (" + last.message + ")");
    std::this_thread::sleep_for(delay);
  }
  last.message += " (gave up after " + std::to_string(opts.max_attempts) + " attempts)";
  return last;
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
  KILN_ASSIGN_OR_RETURN(CurlEasy h, NewCurlEasy());
  Transfer t;
  t.curl = h.get();
  t.fd = fd.get();
  t.is_http = false;
  t.ctx = &ctx;
  t.url = req.url;
  ConfigureHandle(h.get(), t, req.url, opts);
  Status s = DownloadInto(t, opts);
  if (!s.ok()) {
    ::unlink(part.c_str());
    return std::move(s).error();
  }
  Digest d = t.hasher.Finish();
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
  KILN_ASSIGN_OR_RETURN(ParsedUrl url, ParseUrl(req.url));
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

  KILN_ASSIGN_OR_RETURN(CurlEasy h, NewCurlEasy());
  Transfer t;
  t.curl = h.get();
  t.fd = fd.get();
  t.is_http = is_http;
  t.ctx = &ctx;
  t.url = req.url;
  KILN_ASSIGN_OR_RETURN(t.offset, HashExisting(fd.get(), t.hasher, part));
  const bool resumed = t.offset > 0;
  if (resumed) ctx.Report("sources", "resuming " + req.url + " at byte " + std::to_string(t.offset));
  else ctx.Report("sources", "downloading " + req.url);
  ConfigureHandle(h.get(), t, req.url, opts);

  Status s = DownloadInto(t, opts);
  if (!s.ok()) {
    if (t.offset == 0) ::unlink(part.c_str());  // else keep it: the next fetch resumes it
    return std::move(s).error();
  }
  Digest actual = t.hasher.Finish();
  if (ToHex(actual) != hex && resumed) {
    // What an earlier run left may be stale (the server's file changed): one clean retry.
    ctx.Report("sources", "restarting " + req.url + " from the beginning");
    if (!t.Truncate()) return MakeError(ErrorCode::kIo, "cannot truncate " + part.string());
    Status again = DownloadInto(t, opts);
    if (!again.ok()) return std::move(again).error();
    actual = t.hasher.Finish();
  }
  if (ToHex(actual) != hex) {
    ::unlink(part.c_str());  // never keep bytes that failed verification
    return MismatchError(req.url, hex, actual);
  }
  KILN_TRY(Publish(fd.get(), part, blob));
  ctx.Report("sources", "cached " + req.url, t.offset, t.offset);
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
