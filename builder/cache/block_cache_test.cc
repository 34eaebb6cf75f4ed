#include "builder/cache/block_cache.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <fstream>
#include <thread>
#include <vector>

#include "builder/cache/cache_prune.h"
#include "builder/common/files.h"

namespace kiln::cache {
namespace {

namespace fs = std::filesystem;

CacheKey TestKey() {
  CacheKey::Bytes b{};
  b.fill(7);
  return CacheKey(b);
}

std::vector<std::uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }

fs::path OnlyEntry(const fs::path& dir) {
  for (auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) return e.path();
  return {};
}

TEST(BlockKey, DependsOnParamsAndBytes) {
  auto a = Bytes("block");
  EXPECT_EQ(BlockKey("zstd 15 131072", a), BlockKey("zstd 15 131072", a));
  EXPECT_NE(BlockKey("zstd 15 131072", a), BlockKey("zstd 14 131072", a));
  EXPECT_NE(BlockKey("zstd 15 131072", a), BlockKey("zstd 15 131072", Bytes("blocK")));
  // Length-prefixed params: moving bytes between params and block changes the key.
  EXPECT_NE(BlockKey("ab", Bytes("c")), BlockKey("a", Bytes("bc")));
}

TEST(BlockCache, StoresAndFindsBothKinds) {
  auto dir = TempDir::Create();
  ASSERT_TRUE(dir.ok());
  auto cache = BlockCache::Open(dir->path() / "blocks", TestKey());
  ASSERT_TRUE(cache.ok());
  BlockCache& c = **cache;
  Digest k1 = BlockKey("p", Bytes("one")), k2 = BlockKey("p", Bytes("two"));
  std::vector<std::uint8_t> out(64);
  EXPECT_EQ(c.Lookup(k1, out).kind, BlockKind::kMiss);
  c.Store(k1, BlockKind::kCompressed, Bytes("compressed!"));
  c.Store(k2, BlockKind::kUncompressed, {});
  LookupResult r = c.Lookup(k1, out);
  ASSERT_EQ(r.kind, BlockKind::kCompressed);
  EXPECT_EQ(std::string(out.begin(), out.begin() + static_cast<long>(r.size)), "compressed!");
  EXPECT_EQ(c.Lookup(k2, out).kind, BlockKind::kUncompressed);
  // A payload larger than the caller's buffer is a miss, not an overflow.
  std::vector<std::uint8_t> small(4);
  EXPECT_EQ(c.Lookup(k1, small).kind, BlockKind::kMiss);
  BlockCacheStats s = c.stats();
  EXPECT_EQ(s.hits, 2u);
  EXPECT_EQ(s.misses, 2u);
  EXPECT_EQ(s.stored, 2u);
  EXPECT_EQ(s.corrupt, 0u);
}

TEST(BlockCache, CorruptEntryIsIgnoredAndRemoved) {
  auto dir = TempDir::Create();
  ASSERT_TRUE(dir.ok());
  auto cache = BlockCache::Open(dir->path(), TestKey());
  ASSERT_TRUE(cache.ok());
  Digest k = BlockKey("p", Bytes("data"));
  (*cache)->Store(k, BlockKind::kCompressed, Bytes("payload-bytes"));
  fs::path entry = OnlyEntry(dir->path());
  ASSERT_FALSE(entry.empty());
  {  // flip the last payload byte
    std::fstream f(entry, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-1, std::ios::end);
    f.put('X');
  }
  std::vector<std::uint8_t> out(64);
  EXPECT_EQ((*cache)->Lookup(k, out).kind, BlockKind::kMiss);
  EXPECT_EQ((*cache)->stats().corrupt, 1u);
  EXPECT_EQ((*cache)->first_corrupt(), entry.string());
  EXPECT_FALSE(fs::exists(entry));
}

TEST(BlockCache, EntryUnderAnotherKeyIsCorrupt) {
  auto dir = TempDir::Create();
  ASSERT_TRUE(dir.ok());
  auto cache = BlockCache::Open(dir->path(), TestKey());
  ASSERT_TRUE(cache.ok());
  Digest a = BlockKey("p", Bytes("a")), b = BlockKey("p", Bytes("b"));
  (*cache)->Store(a, BlockKind::kCompressed, Bytes("A"));
  fs::path from = OnlyEntry(dir->path());
  std::string hb = ToHex(b);
  fs::create_directories(dir->path() / hb.substr(0, 2));
  fs::copy_file(from, dir->path() / hb.substr(0, 2) / hb);
  std::vector<std::uint8_t> out(8);
  EXPECT_EQ((*cache)->Lookup(b, out).kind, BlockKind::kMiss);
  EXPECT_EQ((*cache)->stats().corrupt, 1u);
  EXPECT_EQ((*cache)->Lookup(a, out).kind, BlockKind::kCompressed);
}

// What an attacker with write access to the cache can do: write a well-formed entry whose
// digest field is recomputed over key, kind, size and payload. Without the user's secret key
// it cannot be a valid MAC, so the entry is ignored.
TEST(BlockCache, ForgedEntryWithRecomputedDigestIsIgnored) {
  auto dir = TempDir::Create();
  ASSERT_TRUE(dir.ok());
  auto cache = BlockCache::Open(dir->path(), TestKey());
  ASSERT_TRUE(cache.ok());
  Digest k = BlockKey("p", Bytes("data"));
  const std::string payload = "evil-payload";
  std::string head = "KILNBLK1";
  std::uint8_t fields[8] = {1, 0, 0, 0, static_cast<std::uint8_t>(payload.size()), 0, 0, 0};
  head.append(reinterpret_cast<const char*>(fields), 8);
  Sha256 h;
  h.Update(k.data(), k.size());
  h.Update(fields, sizeof fields);
  h.Update(payload);
  Digest d = h.Finish();
  const std::string hex = ToHex(k);
  fs::create_directories(dir->path() / hex.substr(0, 2));
  ASSERT_TRUE(WriteFile(dir->path() / hex.substr(0, 2) / hex,
                        head + std::string(d.begin(), d.end()) + payload).ok());
  std::vector<std::uint8_t> out(64);
  EXPECT_EQ((*cache)->Lookup(k, out).kind, BlockKind::kMiss);
  EXPECT_EQ((*cache)->stats().corrupt, 1u);
  std::vector<std::uint8_t> read;
  EXPECT_EQ((*cache)->Read(k, read), BlockKind::kMiss);
}

TEST(BlockCache, ThreadsShareOneCache) {
  auto dir = TempDir::Create();
  ASSERT_TRUE(dir.ok());
  auto cache = BlockCache::Open(dir->path(), TestKey());
  ASSERT_TRUE(cache.ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&c = **cache] {
      std::vector<std::uint8_t> out(64);
      for (int i = 0; i < 50; ++i) {
        auto block = Bytes("block " + std::to_string(i));
        Digest k = BlockKey("p", block);
        if (c.Lookup(k, out).kind == BlockKind::kMiss) c.Store(k, BlockKind::kCompressed, block);
      }
    });
  for (auto& t : threads) t.join();
  BlockCacheStats s = (*cache)->stats();
  EXPECT_EQ(s.hits + s.misses, 200u);
  EXPECT_EQ(s.corrupt, 0u);
  EXPECT_EQ(s.write_errors, 0u);
  auto usage = MeasureCache({dir->path()});
  ASSERT_TRUE(usage.ok());
  EXPECT_EQ(usage->entries, 50u);
}

TEST(PruneCache, RemovesLeastRecentlyUsedFirst) {
  auto dir = TempDir::Create();
  ASSERT_TRUE(dir.ok());
  auto cache = BlockCache::Open(dir->path() / "blocks", TestKey());
  ASSERT_TRUE(cache.ok());
  std::vector<Digest> keys;
  for (int i = 0; i < 3; ++i) {
    keys.push_back(BlockKey("p", Bytes(std::to_string(i))));
    (*cache)->Store(keys.back(), BlockKind::kCompressed, std::vector<std::uint8_t>(5000, 1));
  }
  // Entry 0 oldest, then 2, then 1 (most recent).
  auto set_mtime = [&](const Digest& k, std::time_t t) {
    std::string hex = ToHex(k);
    struct timespec ts[2] = {{t, 0}, {t, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, (dir->path() / "blocks" / hex.substr(0, 2) / hex).c_str(), ts, 0), 0);
  };
  set_mtime(keys[0], 1000);
  set_mtime(keys[2], 2000);
  set_mtime(keys[1], 3000);
  auto before = MeasureCache({dir->path() / "blocks"});
  ASSERT_TRUE(before.ok());
  ASSERT_EQ(before->entries, 3u);
  const std::uint64_t per_entry = before->bytes / 3;
  auto r = PruneCache({dir->path() / "blocks", dir->path() / "missing"}, per_entry);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->removed, 2u);
  EXPECT_EQ(r->after.entries, 1u);
  std::vector<std::uint8_t> out(8192);
  EXPECT_EQ((*cache)->Lookup(keys[1], out).kind, BlockKind::kCompressed);
  EXPECT_EQ((*cache)->Lookup(keys[0], out).kind, BlockKind::kMiss);
  EXPECT_EQ((*cache)->Lookup(keys[2], out).kind, BlockKind::kMiss);
  auto empty = PruneCache({dir->path() / "blocks"}, 0);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->after.entries, 0u);
  EXPECT_EQ(empty->after.bytes, 0u);
}

}  // namespace
}  // namespace kiln::cache
