// A content-addressed cache of compressed blocks on disk (issue 8: incremental builds). The
// squashfs writer asks it for the compressed form of every data block before compressing,
// so unchanged file data is compressed once across builds. The cache knows nothing about
// squashfs: a key is a SHA-256 the caller derives from the uncompressed bytes and the
// compressor settings (BlockKey), a value is the compressed bytes or a marker that the
// block is stored uncompressed.
//
// Layout: <dir>/<first 2 hex>/<64 hex>, one file per entry:
//   "KILNBLK1" | u32le kind | u32le payload size | hmac(key, kind, size, payload) | payload
// The HMAC is under the user's secret cache key (builder/common/cache_key.h), so it binds an
// entry to its key and content and to this user's kiln: a truncated, altered, misplaced or
// planted entry (whoever wrote it cannot compute the MAC) is detected on lookup, counted,
// removed and treated as a miss. The caller still checks that a compressed payload
// decompresses to the block it stands for (builder/squashfs/cached_compressor.cc) and
// reports a mismatch with Reject(). Entries are written under
// a temporary name and renamed, so concurrent builds (and the squashfs writer's worker
// threads, which share one BlockCache) never see half an entry. A hit refreshes the
// entry's mtime, which is what Prune's least-recently-used order reads.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "builder/common/cache_key.h"
#include "builder/common/result.h"
#include "builder/common/sha256.h"

namespace kiln::cache {

// The key of one block: sha256 over a length-prefixed `params` (compressor, level, block
// size, ...) followed by the uncompressed bytes.
Digest BlockKey(std::string_view params, std::span<const std::uint8_t> block);

enum class BlockKind : std::uint32_t {
  kMiss = 0,
  kCompressed = 1,    // payload: the compressed bytes
  kUncompressed = 2,  // the compressor did not shrink the block; no payload
};

struct LookupResult {
  BlockKind kind = BlockKind::kMiss;
  std::size_t size = 0;  // kCompressed: bytes written to the caller's buffer
};

// Counters since the cache was opened (all threads together).
struct BlockCacheStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t stored = 0;
  std::uint64_t corrupt = 0;       // entries that failed their MAC: ignored and removed
  std::uint64_t rejected = 0;      // entries that did not decompress to their block (Reject)
  std::uint64_t write_errors = 0;  // entries that could not be stored (the build goes on)
  std::uint64_t hit_bytes = 0;     // compressed bytes served from the cache
};

class BlockCache {
 public:
  // Uses dir (created with its parents when missing) for the entries, sealed with key.
  static Result<std::unique_ptr<BlockCache>> Open(const std::filesystem::path& dir, const CacheKey& key);

  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;

  // The entry for key, its payload copied into out. An entry whose payload does not fit out
  // is a miss. Thread-safe.
  LookupResult Lookup(const Digest& key, std::span<std::uint8_t> out);

  // Stores an entry; failures are counted (stats().write_errors), never fatal: a cache that
  // cannot be written only makes the next build slower. Thread-safe.
  void Store(const Digest& key, BlockKind kind, std::span<const std::uint8_t> payload);

  // The caller found that the payload Lookup just returned is not what it claims (it does
  // not decompress to the block): counted as rejected and as a miss instead of a hit, and
  // removed (the caller stores what it compresses instead).
  void Reject(const Digest& key);

  // An entry's kind and payload after its MAC was checked; kMiss when missing or corrupt.
  // Does not count as a hit.
  BlockKind Read(const Digest& key, std::vector<std::uint8_t>& payload);

  // The public form of an entry, for sharing it (block packs): the same layout with
  // sha256(key, kind, size, payload) in place of the MAC, which is bound to this user's key.
  // nullopt when the entry is missing or corrupt.
  std::optional<std::string> Export(const Digest& key);
  // Stores an entry given in its public form (checking layout and self-digest: kIntegrity
  // otherwise), sealed with this cache's key. Only for entries from a trusted source; the
  // caller still checks blocks at use. Returns false when a valid local entry already exists.
  Result<bool> Import(const Digest& key, std::span<const std::uint8_t> public_entry);
  static constexpr std::size_t kMaxEntrySize = 8 + 4 + 4 + 32 + (2u << 20);

  BlockCacheStats stats() const;
  const std::filesystem::path& dir() const { return dir_; }
  // The first corrupt or rejected entry met (for the build log), empty when none.
  std::string first_corrupt() const;

 private:
  BlockCache(std::filesystem::path dir, const CacheKey& key) : dir_(std::move(dir)), key_(key) {}
  std::filesystem::path EntryPath(const Digest& key) const;
  void Corrupt(const std::filesystem::path& entry);
  Digest EntryMac(const Digest& key, std::uint32_t kind, std::span<const std::uint8_t> payload) const;
  enum class ReadOutcome { kMissing, kCorrupt, kTooLarge, kOk };
  // Where an entry's payload of `size` bytes goes (a smaller span: kTooLarge).
  using BufferFor = std::function<std::span<std::uint8_t>(std::uint32_t size)>;
  ReadOutcome ReadEntry(const Digest& key, const BufferFor& buffer_for, bool touch, std::uint32_t& kind,
                        std::uint32_t& size);

  std::filesystem::path dir_;
  CacheKey key_;
  std::atomic<std::uint64_t> hits_{0}, misses_{0}, stored_{0}, corrupt_{0}, rejected_{0}, write_errors_{0},
      hit_bytes_{0}, tmp_counter_{0};
  mutable std::mutex mu_;
  std::string first_corrupt_;  // guarded by mu_
};

}  // namespace kiln::cache
