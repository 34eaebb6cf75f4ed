#include "builder/cache/cache_prune.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <string>

namespace kiln::cache {

namespace fs = std::filesystem;

namespace {

struct Entry {
  fs::path path;
  std::int64_t mtime_ns = 0;
  std::uint64_t bytes = 0;
};

constexpr std::int64_t kStaleTempSeconds = 3600;

// Every entry under dirs; stale temporaries are deleted on the way.
Result<std::vector<Entry>> ListEntries(const std::vector<fs::path>& dirs) {
  std::vector<Entry> out;
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  for (const fs::path& dir : dirs) {
    std::error_code ec;
    if (!fs::exists(dir, ec)) continue;
    fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
    if (ec) return MakeError(ErrorCode::kIo, "cannot read the cache " + dir.string() + ": " + ec.message());
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) return MakeError(ErrorCode::kIo, "cannot read the cache " + dir.string() + ": " + ec.message());
      struct stat st {};
      if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      if (it->path().filename().string().starts_with(".tmp-")) {
        if (now - st.st_mtim.tv_sec > kStaleTempSeconds) ::unlink(it->path().c_str());
        continue;
      }
      out.push_back({it->path(), static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
                     static_cast<std::uint64_t>(st.st_blocks) * 512});
    }
  }
  return out;
}

CacheUsage Sum(const std::vector<Entry>& entries) {
  CacheUsage u;
  for (const Entry& e : entries) {
    ++u.entries;
    u.bytes += e.bytes;
  }
  return u;
}

}  // namespace

Result<CacheUsage> MeasureCache(const std::vector<fs::path>& dirs) {
  KILN_ASSIGN_OR_RETURN(std::vector<Entry> entries, ListEntries(dirs));
  return Sum(entries);
}

Result<PruneResult> PruneCache(const std::vector<fs::path>& dirs, std::uint64_t max_bytes) {
  KILN_ASSIGN_OR_RETURN(std::vector<Entry> entries, ListEntries(dirs));
  PruneResult r;
  r.before = Sum(entries);
  r.after = r.before;
  if (r.before.bytes <= max_bytes) return r;
  // Oldest first; the path breaks ties so the order does not depend on directory order.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.mtime_ns != b.mtime_ns ? a.mtime_ns < b.mtime_ns : a.path < b.path;
  });
  for (const Entry& e : entries) {
    if (r.after.bytes <= max_bytes) break;
    if (::unlink(e.path.c_str()) != 0 && errno != ENOENT)
      return MakeError(ErrorCode::kIo, "cannot remove the cache entry " + e.path.string());
    r.after.bytes -= e.bytes;
    --r.after.entries;
    ++r.removed;
  }
  return r;
}

std::vector<fs::path> ManagedCacheDirs(const fs::path& cache_dir) {
  return {cache_dir / "blocks", cache_dir / "trees"};
}

}  // namespace kiln::cache
