#include "builder/tree/tarball_tree_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <sstream>
#include <thread>
#include <vector>

#include "builder/common/cache_key.h"
#include "builder/common/files.h"
#include "builder/common/sha256.h"
#include "builder/common/unique_fd.h"
#include "builder/tree/tarball_reader.h"

namespace kiln::tree {

namespace fs = std::filesystem;

namespace {

constexpr const char* kFormat = "kiln-tarball-tree 2\n";

struct IndexEntry {
  std::string hex;
  std::uint64_t size = 0;
};

// The index maps member positions to blobs, which no pinned digest covers: it is sealed with
// the user's cache key, bound to the tarball it describes, so a planted index (its blobs
// may hash correctly) is ignored.
std::string IndexMac(const CacheKey& key, std::string_view tarball_sha256, std::string_view body) {
  CacheKey::Mac m = key.Start();
  m.Update(tarball_sha256);
  m.Update("\n");
  m.Update(body);
  return ToHex(m.Finish());
}

std::string EncodeIndex(const std::vector<IndexEntry>& entries, const CacheKey& key, std::string_view tarball_sha256) {
  std::string s = kFormat + std::to_string(entries.size()) + "\n";
  for (const IndexEntry& e : entries) s += e.hex + " " + std::to_string(e.size) + "\n";
  s += "hmac " + IndexMac(key, tarball_sha256, s) + "\n";
  return s;
}

Result<std::vector<IndexEntry>> DecodeIndex(const std::string& text, const CacheKey& key,
                                            std::string_view tarball_sha256) {
  auto bad = [](const std::string& why) { return MakeError(ErrorCode::kInput, "malformed index: " + why); };
  constexpr std::size_t kTail = 5 + 64 + 1;  // "hmac <hex>\n"
  if (text.size() < kTail || text.compare(text.size() - kTail, 5, "hmac ") != 0 || text.back() != '\n')
    return bad("no hmac line");
  const std::size_t tail = text.size() - kTail;
  if (IndexMac(key, tarball_sha256, std::string_view(text).substr(0, tail)) != text.substr(tail + 5, 64))
    return bad("not sealed with this user's cache key");
  std::istringstream in(text.substr(0, tail));
  std::string line;
  if (!std::getline(in, line) || line + "\n" != kFormat) return bad("unknown format");
  std::size_t n = 0;
  if (!(in >> n)) return bad("no count");
  // Each entry takes at least 67 bytes of the index: a larger count is not allocated.
  if (n > tail / 67) return bad("bad count");
  std::vector<IndexEntry> out(n);
  for (IndexEntry& e : out)
    if (!(in >> e.hex >> e.size) || !IsSha256Hex(e.hex)) return bad("bad entry");
  return out;
}

// Re-hashes every distinct blob on `jobs` threads and refreshes its mtime; returns the first
// blob that is missing, has the wrong size or does not hash to its name ("" when all good).
std::string CheckBlobs(const fs::path& blobs, const std::vector<IndexEntry>& entries, unsigned jobs) {
  std::vector<const IndexEntry*> unique;
  for (const IndexEntry& e : entries) unique.push_back(&e);
  std::sort(unique.begin(), unique.end(), [](auto* a, auto* b) { return a->hex < b->hex; });
  unique.erase(std::unique(unique.begin(), unique.end(), [](auto* a, auto* b) { return a->hex == b->hex; }),
               unique.end());
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::vector<std::string> bad(std::max(1u, jobs));
  auto work = [&](unsigned t) {
    Sha256 h;
    std::vector<char> buf(1 << 20);
    for (std::size_t i; !failed && (i = next.fetch_add(1)) < unique.size();) {
      const fs::path p = blobs / unique[i]->hex;
      UniqueFd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
      struct stat st {};
      bool ok = fd.valid() && ::fstat(fd.get(), &st) == 0 &&
                static_cast<std::uint64_t>(st.st_size) == unique[i]->size;
      if (ok) {
        h.Reset();
        for (;;) {
          ssize_t n = ::read(fd.get(), buf.data(), buf.size());
          if (n < 0 && errno == EINTR) continue;
          if (n < 0) ok = false;
          if (n <= 0) break;
          h.Update(buf.data(), static_cast<std::size_t>(n));
        }
        ok = ok && ToHex(h.Finish()) == unique[i]->hex;
      }
      if (!ok) {
        bad[t] = p.string();
        failed = true;
        return;
      }
      ::futimens(fd.get(), nullptr);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < bad.size(); ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& th : pool) th.join();
  for (auto& b : bad)
    if (!b.empty()) return b;
  return "";
}

}  // namespace

Status ImportTarballCached(FileTree& tree, const fs::path& tarball, std::string tarball_sha256,
                          ContentStore& fallback_store, const BuildContext& ctx, const std::string& origin) {
  // An uncompressed archive needs no cache: its files are read where they lie in it, which
  // is faster than staging them, cold or warm.
  if (IsUncompressedTarball(tarball)) {
    ctx.Report("tree", "reading " + tarball.filename().string() + " in place (uncompressed)");
    return ImportTarballInPlace(tree, tarball, fallback_store, origin);
  }
  if (ctx.cache_dir.empty()) return ImportTarball(tree, tarball, fallback_store, origin);
  if (tarball_sha256.empty()) {
    KILN_ASSIGN_OR_RETURN(Digest d, Sha256File(tarball));
    tarball_sha256 = ToHex(d);
  }
  const fs::path root = ctx.cache_dir / "trees";
  const fs::path blobs = root / "blobs";
  const fs::path index = root / "index" / ToHex(Sha256Of(std::string(kFormat) + tarball_sha256));
  std::error_code ec;
  fs::create_directories(blobs, ec);
  fs::create_directories(index.parent_path(), ec);
  // A cache this user cannot write (another user's --cache) is not used at all.
  if (::access(blobs.c_str(), R_OK | W_OK | X_OK) != 0 || ::access(index.parent_path().c_str(), R_OK | W_OK | X_OK) != 0) {
    ctx.Report("tree", "tree cache disabled: cannot write " + root.string());
    return ImportTarball(tree, tarball, fallback_store, origin);
  }
  auto key = LoadCacheKey(ctx.cache_dir);
  if (!key.ok()) {
    ctx.Report("tree", "warning: tree cache disabled: " + key.error().message);
    return ImportTarball(tree, tarball, fallback_store, origin);
  }

  if (fs::is_regular_file(index, ec)) {
    std::string why;
    std::vector<IndexEntry> entries;
    auto text = ReadFile(index);
    auto decoded = text.ok() ? DecodeIndex(*text, *key, tarball_sha256) : Result<std::vector<IndexEntry>>(text.error());
    if (!decoded.ok()) {
      why = decoded.error().message;
    } else {
      entries = std::move(*decoded);
      std::string bad = CheckBlobs(blobs, entries, ctx.jobs);
      if (!bad.empty()) {
        why = "blob " + bad + " is missing or corrupt";
        fs::remove(bad, ec);
      }
    }
    if (why.empty()) {
      ::utimensat(AT_FDCWD, index.c_str(), nullptr, 0);
      FileTree attempt = tree;
      Status st = ImportTarball(
          attempt, tarball,
          [&](std::size_t i, const ContentStore::ChunkReader&) -> Result<FileContent> {
            if (i >= entries.size()) return MakeError(ErrorCode::kInput, "tree cache index has too few files");
            FileContent c;
            c.host_path = blobs / entries[i].hex;
            c.size = entries[i].size;
            return c;
          },
          origin);
      if (st.ok()) {
        tree = std::move(attempt);
        ctx.Report("tree", "base tree from the cache (" + std::to_string(entries.size()) + " files)");
        return OkStatus();
      }
      why = st.error().message;
    }
    ctx.Report("tree", "warning: ignoring corrupt tree cache entry " + index.string() + ": " + why);
    fs::remove(index, ec);
  }

  auto created = ContentStore::Create(blobs);
  if (!created.ok()) {
    ctx.Report("tree", "tree cache disabled: " + created.error().message);
    return ImportTarball(tree, tarball, fallback_store, origin);
  }
  ContentStore& store = *created;
  std::vector<IndexEntry> entries;
  KILN_TRY(ImportTarball(
      tree, tarball,
      [&](std::size_t, const ContentStore::ChunkReader& read) -> Result<FileContent> {
        KILN_ASSIGN_OR_RETURN(FileContent c, store.Put(read));
        entries.push_back({c.host_path.filename().string(), c.size});
        return c;
      },
      origin));
  // A cache that cannot be written only makes the next build slower.
  if (Status st = WriteFileAtomic(index, EncodeIndex(entries, *key, tarball_sha256)); !st.ok())
    ctx.Report("tree", "cannot store the tree cache entry: " + st.error().message);
  return OkStatus();
}

}  // namespace kiln::tree
