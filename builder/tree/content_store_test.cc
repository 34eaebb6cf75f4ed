#include "builder/tree/content_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <sstream>

#include "builder/common/files.h"
#include "builder/common/sha256.h"

namespace kiln::tree {
namespace {

namespace fs = std::filesystem;

TEST(ContentStore, NamesBlobsByDigestAndDeduplicates) {
  auto tmp = TempDir::Create();
  ASSERT_TRUE(tmp.ok());
  auto store = ContentStore::Create(tmp->path() / "a" / "b");
  ASSERT_TRUE(store.ok());
  std::string big(3 * 1024 * 1024 + 17, 'z');
  auto c1 = store->Put(std::string_view(big));
  ASSERT_TRUE(c1.ok());
  EXPECT_EQ(c1->host_path, tmp->path() / "a" / "b" / ToHex(Sha256Of(big)));
  EXPECT_EQ(c1->size, big.size());
  EXPECT_FALSE(c1->is_inline);
  std::istringstream in(big);
  auto c2 = store->Put(in);
  ASSERT_TRUE(c2.ok());
  EXPECT_EQ(c2->host_path, c1->host_path);
  EXPECT_EQ(*ReadFile(c1->host_path), big);
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(store->dir())) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1u);  // the duplicate's temporary is gone
  struct stat st {};
  ASSERT_EQ(::stat(c1->host_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);

  auto empty = store->Put(std::string_view());
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->size, 0u);
  EXPECT_EQ(empty->host_path.filename(), ToHex(Sha256Of("")));
}

TEST(ContentStore, ReaderErrorLeavesNoTemporary) {
  auto tmp = TempDir::Create();
  ASSERT_TRUE(tmp.ok());
  auto store = ContentStore::Create(tmp->path());
  ASSERT_TRUE(store.ok());
  auto r = store->Put([](char*, std::size_t) -> Result<std::size_t> {
    return MakeError(ErrorCode::kInput, "broken stream");
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "broken stream");
  EXPECT_TRUE(fs::is_empty(tmp->path()));
}

}  // namespace
}  // namespace kiln::tree
