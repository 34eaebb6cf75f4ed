// Block packs: what a build used is packed, deterministically; unpacking adds what is
// missing, keeps what is there, and refuses members that are not block cache entries.
#include "builder/registry/block_pack.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <vector>

#include "builder/common/files.h"

namespace kiln::registry {
namespace {

namespace fs = std::filesystem;

std::string Name(char c) { return std::string(2, c) + "/" + std::string(64, c); }

class BlockPackTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = TempDir::Create({}, "kiln-blockpack-test").value(); }
  fs::path P(const std::string& s) const { return dir_.path() / s; }
  void Entry(const fs::path& blocks, char c, const std::string& bytes) {
    fs::create_directories((blocks / Name(c)).parent_path());
    ASSERT_TRUE(WriteFile(blocks / Name(c), bytes).ok());
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
  const fs::path blocks = P("blocks");
  Entry(blocks, 'a', "old entry");
  Age(blocks / Name('a'), 3600);
  ASSERT_TRUE(WriteFile(P("marker"), "").ok());
  Age(P("marker"), 60);
  Entry(blocks, 'b', "used entry b");
  Entry(blocks, 'c', "used entry c");
  ASSERT_TRUE(WriteFile(blocks / "bb" / "not-an-entry", "x").ok());

  auto n = PackBlockEntries(blocks, P("marker"), P("pack.tar"));
  ASSERT_TRUE(n.ok()) << n.error().ToString();
  EXPECT_EQ(*n, 2u);
  auto again = PackBlockEntries(blocks, P("marker"), P("pack2.tar"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*ReadFile(P("pack.tar")), *ReadFile(P("pack2.tar"))) << "same entries, same bytes";

  const fs::path other = P("other");
  Entry(other, 'c', "local c wins");
  auto added = UnpackBlockEntries(P("pack.tar"), other);
  ASSERT_TRUE(added.ok()) << added.error().ToString();
  EXPECT_EQ(*added, 1u);
  EXPECT_EQ(*ReadFile(other / Name('b')), "used entry b");
  EXPECT_EQ(*ReadFile(other / Name('c')), "local c wins");
  EXPECT_FALSE(fs::exists(other / Name('a')));
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
    auto r = UnpackBlockEntries(P("bad.tar"), P("into"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kIntegrity);
    EXPECT_FALSE(fs::exists(P("escape")));
  }
}

TEST(BlockPackKeyTest, NamesThePinnedBaseAndTheRootSettings) {
  recipe::Recipe r;
  r.base.type = recipe::BaseType::kTarball;
  r.base.sha256 = std::string(64, '1');
  auto a = BlockPackKey(r);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->size(), 64u);
  r.root.block_size = 64 * 1024;
  auto b = BlockPackKey(r);
  ASSERT_TRUE(b.ok());
  EXPECT_NE(*a, *b);
  r.base.sha256.clear();
  EXPECT_EQ(*BlockPackKey(r), "");
  r.base.type = recipe::BaseType::kScratch;
  EXPECT_EQ(*BlockPackKey(r), "");
}

}  // namespace
}  // namespace kiln::registry
