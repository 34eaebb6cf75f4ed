// Block packs: what a build used is packed, deterministically; unpacking adds what is
// missing, keeps what is there, and refuses members that are not block cache entries.
#include "builder/shared_cache/block_pack.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <vector>

#include "builder/common/cache_key.h"
#include "builder/common/files.h"

namespace kiln::shared_cache {
namespace {

namespace fs = std::filesystem;

CacheKey Key(std::uint8_t fill) {
  CacheKey::Bytes b{};
  b.fill(fill);
  return CacheKey(b);
}

Digest K(char c) { return cache::BlockKey("p", std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(&c), 1)); }

std::span<const std::uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string Payload(cache::BlockCache& c, char k) {
  std::vector<std::uint8_t> p;
  if (c.Read(K(k), p) == cache::BlockKind::kMiss) return "<miss>";
  return std::string(p.begin(), p.end());
}

class BlockPackTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = TempDir::Create({}, "kiln-blockpack-test").value(); }
  fs::path P(const std::string& s) const { return dir_.path() / s; }
  std::unique_ptr<cache::BlockCache> Open(const std::string& name, std::uint8_t key) {
    return std::move(cache::BlockCache::Open(P(name), Key(key)).value());
  }
  fs::path EntryPath(cache::BlockCache& c, char k) {
    const std::string hex = ToHex(K(k));
    return c.dir() / hex.substr(0, 2) / hex;
  }
  // Sets a file's mtime `seconds` before now.
  static void Age(const fs::path& p, int seconds) {
    struct timespec ts[2];
    ::clock_gettime(CLOCK_REALTIME, &ts[0]);
    ts[0].tv_sec -= seconds;
    ts[1] = ts[0];
    ::utimensat(AT_FDCWD, p.c_str(), ts, 0);
  }
  TempDir dir_;
};

TEST_F(BlockPackTest, PacksOnlyEntriesNewerThanTheMarkerAndRoundTrips) {
  auto blocks = Open("blocks", 1);
  blocks->Store(K('a'), cache::BlockKind::kCompressed, Bytes("old entry"));
  Age(EntryPath(*blocks, 'a'), 3600);
  ASSERT_TRUE(WriteFile(P("marker"), "").ok());
  Age(P("marker"), 60);
  blocks->Store(K('b'), cache::BlockKind::kCompressed, Bytes("used entry b"));
  blocks->Store(K('c'), cache::BlockKind::kCompressed, Bytes("used entry c"));
  blocks->Store(K('d'), cache::BlockKind::kUncompressed, {});
  fs::create_directories(blocks->dir() / "bb");
  ASSERT_TRUE(WriteFile(blocks->dir() / "bb" / "not-an-entry", "x").ok());

  auto n = PackBlockEntries(*blocks, P("marker"), P("pack.tar"));
  ASSERT_TRUE(n.ok()) << n.error().ToString();
  EXPECT_EQ(*n, 3u);
  auto again = PackBlockEntries(*blocks, P("marker"), P("pack2.tar"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*ReadFile(P("pack.tar")), *ReadFile(P("pack2.tar"))) << "same entries, same bytes";

  // Another user's cache (another key): entries are sealed again with its key.
  auto other = Open("other", 2);
  other->Store(K('c'), cache::BlockKind::kCompressed, Bytes("local c wins"));
  auto added = UnpackBlockEntries(P("pack.tar"), *other);
  ASSERT_TRUE(added.ok()) << added.error().ToString();
  EXPECT_EQ(*added, 2u);
  EXPECT_EQ(Payload(*other, 'b'), "used entry b");
  EXPECT_EQ(Payload(*other, 'c'), "local c wins");
  EXPECT_EQ(Payload(*other, 'a'), "<miss>");
  std::vector<std::uint8_t> p;
  EXPECT_EQ(other->Read(K('d'), p), cache::BlockKind::kUncompressed);
  EXPECT_EQ(other->stats().corrupt, 0u);
}

TEST_F(BlockPackTest, MemberNotMatchingItsDigestIsRefused) {
  auto blocks = Open("blocks", 1);
  ASSERT_TRUE(WriteFile(P("marker"), "").ok());
  Age(P("marker"), 60);
  blocks->Store(K('b'), cache::BlockKind::kCompressed, Bytes("payload-bbbbbbbb"));
  ASSERT_EQ(PackBlockEntries(*blocks, P("marker"), P("pack.tar")).value(), 1u);
  std::string tar = ReadFile(P("pack.tar")).value();
  const auto at = tar.find("payload-bbbbbbbb");
  ASSERT_NE(at, std::string::npos);
  tar[at] = 'P';
  ASSERT_TRUE(WriteFile(P("bad.tar"), tar).ok());
  auto other = Open("other", 2);
  auto r = UnpackBlockEntries(P("bad.tar"), *other);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kIntegrity);
  EXPECT_EQ(Payload(*other, 'b'), "<miss>");
}

TEST_F(BlockPackTest, RefusesMembersThatAreNotEntries) {
  struct WriteFree {
    void operator()(archive* a) const { archive_write_free(a); }
  };
  struct EntryFree {
    void operator()(archive_entry* e) const { archive_entry_free(e); }
  };
  for (const std::string& name : std::vector<std::string>{"../escape", "ab/" + std::string(64, 'c'), "zz/" + std::string(64, 'z')}) {
    SCOPED_TRACE(name);
    std::unique_ptr<archive, WriteFree> a(archive_write_new());
    archive_write_set_format_pax_restricted(a.get());
    ASSERT_EQ(archive_write_open_filename(a.get(), P("bad.tar").c_str()), ARCHIVE_OK);
    std::unique_ptr<archive_entry, EntryFree> e(archive_entry_new());
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0644);
    archive_entry_set_size(e.get(), 1);
    ASSERT_EQ(archive_write_header(a.get(), e.get()), ARCHIVE_OK);
    archive_write_data(a.get(), "x", 1);
    archive_write_close(a.get());
    auto into = Open("into", 3);
    auto r = UnpackBlockEntries(P("bad.tar"), *into);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kIntegrity);
    EXPECT_FALSE(fs::exists(P("escape")));
  }
}

TEST(BlockPackKeyTest, NamesThePinnedBaseAndTheRootSettings) {
  recipe::Recipe r;
  r.base.type = recipe::BaseType::kTarball;
  r.base.sha256 = std::string(64, '1');
  auto a = BlockPackKey(r, {});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->size(), 64u);
  r.root.block_size = 64 * 1024;
  auto b = BlockPackKey(r, {});
  ASSERT_TRUE(b.ok());
  EXPECT_NE(*a, *b);
  r.base.sha256.clear();
  EXPECT_EQ(*BlockPackKey(r, {}), "");
  r.base.type = recipe::BaseType::kScratch;
  EXPECT_EQ(*BlockPackKey(r, {}), "");
}

}  // namespace
}  // namespace kiln::shared_cache
