// The squashfs writer with a block cache: byte-identical images, hits on rebuild, corrupt
// entries ignored.
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "builder/cache/block_cache.h"
#include "builder/common/cache_key.h"
#include "builder/common/files.h"
#include "builder/common/subprocess.h"
#include "builder/squashfs/squashfs.h"

namespace kiln::squashfs {
namespace {

namespace fs = std::filesystem;
using tree::FileNode;
using tree::NodeType;

constexpr std::int64_t kClamp = 1700000000;

// Compressible but not trivially: words drawn from a small vocabulary.
std::string Text(std::size_t size, unsigned seed) {
  static const char* kWords[] = {"kiln ", "squashfs ", "verity ", "block ", "cache\n", "zstd ", "image "};
  std::mt19937 rng(seed);
  std::string s;
  while (s.size() < size) s += kWords[rng() % 7];
  s.resize(size);
  return s;
}

FileNode File(const std::string& data, const std::string& origin) {
  FileNode n;
  n.type = NodeType::kFile;
  n.mode = 0644;
  n.mtime = 1600000000;
  n.origin = origin;
  n.content.is_inline = true;
  n.content.inline_data = data;
  n.content.size = data.size();
  return n;
}

// A base with big files (full blocks) and many small ones (fragments), and one overlay
// file whose path sorts before most of the base.
tree::FileTree MakeTree(const std::string& overlay_text) {
  tree::FileTree t(kClamp);
  for (int i = 0; i < 4; ++i)
    EXPECT_TRUE(t.Insert("usr/lib/big" + std::to_string(i), File(Text(300000 + 777 * i, i), "base")).ok());
  for (int i = 0; i < 60; ++i)
    EXPECT_TRUE(t.Insert("usr/share/doc/f" + std::to_string(i), File(Text(3000 + 31 * i, 100 + i), "base")).ok());
  EXPECT_TRUE(t.Insert("etc/app.conf", File(overlay_text, "overlay[0]")).ok());
  return t;
}

CacheKey TestKey() {
  CacheKey::Bytes b{};
  b.fill(0x42);
  return CacheKey(b);
}

Digest KeyOfEntry(const fs::path& entry) {
  Digest d{};
  std::string raw = FromHex(entry.filename().string()).value();
  std::copy(raw.begin(), raw.end(), d.begin());
  return d;
}

class BlockCacheWriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir::Create({}, "kiln-blockcache-test").value();
    auto c = cache::BlockCache::Open(dir_.path() / "cache", TestKey());
    ASSERT_TRUE(c.ok());
    cache_ = std::move(*c);
  }
  fs::path Path(const std::string& name) const { return dir_.path() / name; }
  SquashfsOptions Options(cache::BlockCache* c) const {
    SquashfsOptions o;
    o.mkfs_time = kClamp;
    o.level = 3;
    o.block_size = 64 * 1024;
    o.jobs = 2;
    o.block_cache = c;
    return o;
  }
  std::string Build(const tree::FileTree& t, cache::BlockCache* c, const std::string& name) {
    auto r = WriteSquashfs(t, Options(c), Path(name), 0, nullptr);
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    return ReadFile(Path(name)).value();
  }

  TempDir dir_;
  std::unique_ptr<cache::BlockCache> cache_;
};

TEST_F(BlockCacheWriteTest, CachedBuildsAreByteIdenticalAndReuseBlocks) {
  tree::FileTree t1 = MakeTree("setting = 1\n");
  const std::string cold = Build(t1, nullptr, "cold.sqfs");
  EXPECT_EQ(Build(t1, cache_.get(), "first.sqfs"), cold);  // empty cache: fills it
  cache::BlockCacheStats filled = cache_->stats();
  EXPECT_EQ(filled.hits, 0u);
  EXPECT_GT(filled.stored, 10u);

  EXPECT_EQ(Build(t1, cache_.get(), "warm.sqfs"), cold);
  cache::BlockCacheStats warm = cache_->stats();
  EXPECT_EQ(warm.hits, filled.misses);   // every block of the first build
  EXPECT_EQ(warm.misses, filled.misses);  // and nothing new

  // One overlay file changes size: only the block holding it is compressed again.
  tree::FileTree t2 = MakeTree("setting = 2, and a longer line\n");
  const std::string cold2 = Build(t2, nullptr, "cold2.sqfs");
  EXPECT_NE(cold2, cold);
  EXPECT_EQ(Build(t2, cache_.get(), "rebuild.sqfs"), cold2);
  cache::BlockCacheStats rebuilt = cache_->stats();
  EXPECT_EQ(rebuilt.misses - warm.misses, 1u);
  EXPECT_EQ(rebuilt.corrupt, 0u);

  if (fs::path unsquashfs = FindProgram("unsquashfs"); !unsquashfs.empty()) {
    ProcessSpec spec;
    spec.argv = {unsquashfs.string(), "-d", Path("x").string(), Path("rebuild.sqfs").string()};
    ASSERT_TRUE(RunChecked(spec).ok());
    EXPECT_EQ(ReadFile(Path("x/etc/app.conf")).value(), "setting = 2, and a longer line\n");
    EXPECT_EQ(ReadFile(Path("x/usr/lib/big3")).value(), Text(300000 + 777 * 3, 3));
  }
}

TEST_F(BlockCacheWriteTest, CorruptEntriesAreIgnored) {
  tree::FileTree t = MakeTree("x\n");
  const std::string cold = Build(t, nullptr, "cold.sqfs");
  EXPECT_EQ(Build(t, cache_.get(), "first.sqfs"), cold);
  // Damage every entry in one way or another: flip a byte, truncate, empty.
  int n = 0;
  for (auto& e : fs::recursive_directory_iterator(dir_.path() / "cache")) {
    if (!e.is_regular_file()) continue;
    if (n % 3 == 0) {
      std::fstream f(e.path(), std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(60);
      f.put('\x5a');
    } else {
      fs::resize_file(e.path(), n % 3 == 1 ? 20 : 0);
    }
    ++n;
  }
  ASSERT_GT(n, 0);
  EXPECT_EQ(Build(t, cache_.get(), "second.sqfs"), cold);
  EXPECT_GE(cache_->stats().corrupt, static_cast<std::uint64_t>(n) - 1);  // a flip may hit a no-op byte
  EXPECT_FALSE(cache_->first_corrupt().empty());
  // Replaced by good entries: the third build hits everywhere.
  cache::BlockCacheStats before = cache_->stats();
  EXPECT_EQ(Build(t, cache_.get(), "third.sqfs"), cold);
  EXPECT_EQ(cache_->stats().misses, before.misses);
}

// An entry whose MAC is valid (a trusted writer's mistake, a signed but wrong registry pack)
// and whose payload is a well-formed compressed block of other data: it must never reach the
// image. Swap the payloads of the cache's compressed entries around and rebuild.
TEST_F(BlockCacheWriteTest, EntriesThatDoNotDecompressToTheirBlockAreRejected) {
  tree::FileTree t = MakeTree("x\n");
  const std::string cold = Build(t, nullptr, "cold.sqfs");
  EXPECT_EQ(Build(t, cache_.get(), "first.sqfs"), cold);
  std::vector<Digest> keys;
  std::vector<std::vector<std::uint8_t>> payloads;
  for (auto& e : fs::recursive_directory_iterator(dir_.path() / "cache")) {
    if (!e.is_regular_file()) continue;
    std::vector<std::uint8_t> p;
    Digest k = KeyOfEntry(e.path());
    if (cache_->Read(k, p) != cache::BlockKind::kCompressed) continue;
    keys.push_back(k);
    payloads.push_back(std::move(p));
  }
  ASSERT_GT(keys.size(), 2u);
  for (std::size_t i = 0; i < keys.size(); ++i)
    cache_->Store(keys[i], cache::BlockKind::kCompressed, payloads[(i + 1) % keys.size()]);
  cache::BlockCacheStats before = cache_->stats();
  EXPECT_EQ(Build(t, cache_.get(), "forged.sqfs"), cold);
  cache::BlockCacheStats after = cache_->stats();
  EXPECT_EQ(after.rejected - before.rejected, keys.size());
  EXPECT_EQ(after.corrupt, before.corrupt);  // their MACs were good
  // Rejected entries were replaced by what was compressed: the next build hits everywhere.
  EXPECT_EQ(Build(t, cache_.get(), "again.sqfs"), cold);
  EXPECT_EQ(cache_->stats().misses, after.misses);
  EXPECT_EQ(cache_->stats().rejected, after.rejected);
}

// Entries planted by someone without the user's key (the digest recomputed as an attacker
// would, but no MAC) are corrupt to a cache opened with the key.
TEST_F(BlockCacheWriteTest, EntriesSealedWithAnotherKeyAreIgnored) {
  tree::FileTree t = MakeTree("x\n");
  const std::string cold = Build(t, nullptr, "cold.sqfs");
  CacheKey::Bytes other{};
  other.fill(0x17);
  auto attacker = cache::BlockCache::Open(dir_.path() / "cache", CacheKey(other));
  ASSERT_TRUE(attacker.ok());
  EXPECT_EQ(Build(t, attacker->get(), "planted.sqfs"), cold);
  const std::uint64_t planted = (*attacker)->stats().stored;
  ASSERT_GT(planted, 0u);
  EXPECT_EQ(Build(t, cache_.get(), "victim.sqfs"), cold);
  EXPECT_EQ(cache_->stats().hits, 0u);
  EXPECT_EQ(cache_->stats().corrupt, planted);
}

TEST_F(BlockCacheWriteTest, KeyDependsOnCompressorSettings) {
  tree::FileTree t = MakeTree("x\n");
  Build(t, cache_.get(), "a.sqfs");
  cache::BlockCacheStats first = cache_->stats();
  SquashfsOptions o = Options(cache_.get());
  o.level = 4;
  auto r = WriteSquashfs(t, o, Path("b.sqfs"), 0, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(cache_->stats().hits, first.hits);  // nothing shared across levels
  SquashfsOptions plain = o;
  plain.block_cache = nullptr;
  ASSERT_TRUE(WriteSquashfs(t, plain, Path("c.sqfs"), 0, nullptr).ok());
  EXPECT_EQ(ReadFile(Path("b.sqfs")).value(), ReadFile(Path("c.sqfs")).value());
}

}  // namespace
}  // namespace kiln::squashfs
