#include "builder/tree/tarball_tree_cache.h"

#include <gtest/gtest.h>

#include <fstream>

#include "builder/common/cache_key.h"
#include "builder/common/files.h"
#include "builder/common/sha256.h"
#include "builder/common/subprocess.h"
#include "builder/tree/tarball_reader.h"

namespace kiln::tree {
namespace {

namespace fs = std::filesystem;

class TarballTreeCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir::Create({}, "kiln-treecache-test").value();
    fs::create_directories(Path("src/etc"));
    fs::create_directories(Path("src/usr/bin"));
    ASSERT_TRUE(WriteFile(Path("src/etc/hostname"), "kiln\n").ok());
    ASSERT_TRUE(WriteFile(Path("src/etc/same"), "kiln\n").ok());  // same bytes: one blob
    ASSERT_TRUE(WriteFile(Path("src/usr/bin/tool"), std::string(300000, 'x'), 0755).ok());
    fs::create_symlink("tool", Path("src/usr/bin/link"));
    ProcessSpec spec;
    spec.argv = {"tar", "-C", Path("src").string(), "--sort=name", "--numeric-owner", "--owner=0", "--group=0",
                 "-czf", Path("base.tar.gz").string(), "."};
    auto r = RunChecked(spec);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    ctx_.cache_dir = Path("cache");
    ctx_.jobs = 2;
    ctx_.on_event = [this](const Event& e) { events_.push_back(e.message); };
  }
  fs::path Path(const std::string& name) const { return dir_.path() / name; }
  bool Logged(const std::string& part) const {
    for (auto& e : events_)
      if (e.find(part) != std::string::npos) return true;
    return false;
  }
  Result<FileTree> Import(const BuildContext& ctx) {
    auto store = ContentStore::Create(Path("work"));
    if (!store.ok()) return store.error();
    FileTree t(1700000000);
    KILN_TRY(ImportTarballCached(t, Path("base.tar.gz"), "", *store, ctx, "base"));
    return t;
  }

  TempDir dir_;
  BuildContext ctx_;
  std::vector<std::string> events_;
};

TEST_F(TarballTreeCacheTest, SecondImportComesFromTheCache) {
  auto first = Import(ctx_);
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  EXPECT_FALSE(Logged("from the cache"));
  auto second = Import(ctx_);
  ASSERT_TRUE(second.ok()) << second.error().ToString();
  EXPECT_TRUE(Logged("base tree from the cache (3 files)"));
  EXPECT_TRUE(first->nodes() == second->nodes());
  const FileNode* tool = second->Find("usr/bin/tool");
  ASSERT_NE(tool, nullptr);
  EXPECT_EQ(tool->mode, 0755u);
  EXPECT_EQ(tool->content.host_path.parent_path(), Path("cache/trees/blobs"));
  EXPECT_EQ(ReadFile(tool->content.host_path).value(), std::string(300000, 'x'));
  ASSERT_NE(second->Find("usr/bin/link"), nullptr);
  EXPECT_EQ(second->Find("usr/bin/link")->target, "tool");

  // The same tree as an import without any cache, apart from where the bytes are staged.
  BuildContext plain = ctx_;
  plain.cache_dir.clear();
  auto uncached = Import(plain);
  ASSERT_TRUE(uncached.ok());
  ASSERT_EQ(uncached->nodes().size(), second->nodes().size());
  for (const auto& [path, node] : uncached->nodes()) {
    const FileNode* other = second->Find(path);
    ASSERT_NE(other, nullptr) << path;
    FileNode a = node, b = *other;
    if (a.type == NodeType::kFile) {
      EXPECT_EQ(a.content.host_path.parent_path(), Path("work")) << path;
    }
    a.content.host_path = b.content.host_path = "";
    EXPECT_TRUE(a == b) << path;
  }
}

TEST_F(TarballTreeCacheTest, CorruptBlobOrIndexIsIgnored) {
  ASSERT_TRUE(Import(ctx_).ok());
  const fs::path tool_blob = Import(ctx_)->Find("usr/bin/tool")->content.host_path;
  {
    std::fstream f(tool_blob, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(10);
    f.put('y');
  }
  auto t = Import(ctx_);
  ASSERT_TRUE(t.ok()) << t.error().ToString();
  EXPECT_TRUE(Logged("ignoring corrupt tree cache entry"));
  EXPECT_EQ(ReadFile(t->Find("usr/bin/tool")->content.host_path).value(), std::string(300000, 'x'));

  events_.clear();
  for (auto& e : fs::directory_iterator(Path("cache/trees/index"))) ASSERT_TRUE(WriteFile(e.path(), "junk").ok());
  auto u = Import(ctx_);
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(Logged("malformed index"));
  events_.clear();
  ASSERT_TRUE(Import(ctx_).ok());
  EXPECT_TRUE(Logged("from the cache"));
}

// An attacker who can write the cache rewrites an index so that a member takes another
// (correctly hashed) blob, and seals it as well as it can: with a key of its own.
TEST_F(TarballTreeCacheTest, IndexNotSealedWithTheUsersKeyIsIgnored) {
  ASSERT_TRUE(Import(ctx_).ok());
  fs::path index;
  for (auto& e : fs::directory_iterator(Path("cache/trees/index"))) index = e.path();
  ASSERT_FALSE(index.empty());
  std::string text = ReadFile(index).value();
  std::vector<std::string> lines;
  for (std::size_t p = 0, q; (q = text.find('\n', p)) != std::string::npos; p = q + 1) lines.push_back(text.substr(p, q - p));
  ASSERT_EQ(lines.size(), 6u);  // format, count, 3 files, hmac
  std::swap(lines[2], lines[4]);  // etc/hostname <-> usr/bin/tool
  std::string body;
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) body += lines[i] + "\n";
  CacheKey::Bytes other{};
  other.fill(0x66);
  const std::string tar_sha = ToHex(Sha256File(Path("base.tar.gz")).value());
  ASSERT_TRUE(WriteFile(index, body + "hmac " + ToHex(CacheKey(other).Seal(tar_sha + "\n" + body)) + "\n").ok());
  events_.clear();
  auto t = Import(ctx_);
  ASSERT_TRUE(t.ok()) << t.error().ToString();
  EXPECT_TRUE(Logged("not sealed with this user's cache key"));
  EXPECT_EQ(ReadFile(t->Find("usr/bin/tool")->content.host_path).value(), std::string(300000, 'x'));
  EXPECT_EQ(ReadFile(t->Find("etc/hostname")->content.host_path).value(), "kiln\n");
}

}  // namespace
}  // namespace kiln::tree
