#include "builder/diff/squashfs_listing.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "builder/common/files.h"
#include "builder/common/sha256.h"

namespace kiln::diff {
namespace {

namespace fs = std::filesystem;

const fs::path kSeeds = fs::path(KILN_TESTDATA) / "fuzz/squashfs_listing";

std::vector<std::uint8_t> Bytes(const fs::path& p) {
  auto text = ReadFile(p);
  EXPECT_TRUE(text.ok());
  return text.ok() ? std::vector<std::uint8_t>(text->begin(), text->end()) : std::vector<std::uint8_t>{};
}

TEST(SquashfsListingTest, ReadsEveryInodeType) {
  for (const char* name : {"normal-gzip.sqfs", "normal-xz.sqfs", "normal-zstd.sqfs"}) {
    SCOPED_TRACE(name);
    auto l = ReadSquashfsListing(kSeeds / name, 0);
    ASSERT_TRUE(l.ok()) << l.error().ToString();
    const auto& f = l->files;
    EXPECT_EQ(f.at("").type, 'd');
    EXPECT_EQ(f.at("empty").mode, 0700u);
    const FileState& hello = f.at("etc/hello");
    EXPECT_EQ(hello.type, '-');
    EXPECT_EQ(hello.uid, 12u);
    EXPECT_EQ(hello.gid, 34u);
    EXPECT_EQ(hello.size, 6u);
    EXPECT_EQ(hello.sha256, ToHex(Sha256Of(std::string("hello\n"))));
    const FileState& big = f.at("etc/big");
    EXPECT_EQ(big.mode, 04750u);
    EXPECT_EQ(big.sha256, ToHex(Sha256Of(std::string(300000, 'a'))));
    EXPECT_EQ(f.at("etc/link").target, "../etc/hello");
    EXPECT_EQ(f.at("etc/link").size, 12u);
    EXPECT_EQ(f.at("dev/null").device, "1,3");
    EXPECT_EQ(f.at("dev/null").type, 'c');
    EXPECT_EQ(f.at("dev/high").device, "259,300");  // minors above 255 decoded, unlike unsquashfs -lln
    EXPECT_EQ(f.at("dev/high").type, 'b');
    EXPECT_EQ(f.at("dev/high").gid, 6u);
    EXPECT_EQ(f.at("dev/fifo").type, 'p');
    ASSERT_EQ(l->packages.size(), 1u);
    EXPECT_EQ(l->packages[0].name, "bash");
    EXPECT_EQ(f.size(), 14u);
  }
}

TEST(SquashfsListingTest, MemoryAndFileAgree) {
  auto a = ReadSquashfsListing(kSeeds / "normal-zstd.sqfs", 0);
  auto b = ReadSquashfsListing(Bytes(kSeeds / "normal-zstd.sqfs"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

// Issue 14: a link target holding a newline and a fake listing line is just a link target.
TEST(SquashfsListingTest, SymlinkTargetWithNewlineIsData) {
  auto l = ReadSquashfsListing(kSeeds / "symlink-newline.sqfs", 0);
  ASSERT_TRUE(l.ok()) << l.error().ToString();
  ASSERT_EQ(l->files.size(), 4u);
  const FileState& evil = l->files.at("etc/evil");
  EXPECT_EQ(evil.type, 'l');
  EXPECT_NE(evil.target.find("\n-rwxr-xr-x"), std::string::npos);
  for (const auto& [path, st] : l->files) EXPECT_EQ(path.find(".."), std::string::npos) << path;
}

TEST(SquashfsListingTest, OffsetInsideALargerFile) {
  auto t = TempDir::Create();
  ASSERT_TRUE(t.ok());
  auto img = Bytes(kSeeds / "normal-gzip.sqfs");
  std::string padded(8192, 'x');
  padded.append(img.begin(), img.end());
  ASSERT_TRUE(WriteFile(t->path() / "disk", padded).ok());
  auto l = ReadSquashfsListing(t->path() / "disk", 8192);
  ASSERT_TRUE(l.ok()) << l.error().ToString();
  EXPECT_EQ(l->files.at("etc/hello").size, 6u);
  EXPECT_FALSE(ReadSquashfsListing(t->path() / "disk", 1 << 20).ok());
}

TEST(SquashfsListingTest, LimitsAreErrors) {
  auto img = Bytes(kSeeds / "normal-gzip.sqfs");
  SquashfsLimits content;
  content.max_content_bytes = 1000;
  auto a = ReadSquashfsListing(img, content);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, ErrorCode::kInput);
  EXPECT_NE(a.error().message.find("file contents exceed"), std::string::npos);
  SquashfsLimits entries;
  entries.max_entries = 3;
  EXPECT_FALSE(ReadSquashfsListing(img, entries).ok());
  SquashfsLimits depth;
  depth.max_depth = 2;
  EXPECT_FALSE(ReadSquashfsListing(img, depth).ok());
}

// libsquashfs sizes the fragment table from the superblock before reading it (found by the
// fuzzer: 2^32 - 1 fragments asked for 64 GiB); such counts are refused first.
TEST(SquashfsListingTest, TableCountsBeyondTheImageAreErrors) {
  auto img = Bytes(kSeeds / "normal-gzip.sqfs");
  auto patched = [&](std::size_t offset, std::uint32_t value) {
    auto copy = img;
    for (int i = 0; i < 4; ++i) copy[offset + i] = static_cast<std::uint8_t>(value >> (8 * i));
    return ReadSquashfsListing(copy);
  };
  auto fragments = patched(16, 0xffffffffu);  // fragment_entry_count
  ASSERT_FALSE(fragments.ok());
  EXPECT_EQ(fragments.error().code, ErrorCode::kInput);
  EXPECT_NE(fragments.error().message.find("fragments"), std::string::npos) << fragments.error().message;
  auto inodes = patched(4, 0xffffffffu);  // inode_count
  ASSERT_FALSE(inodes.ok());
  EXPECT_NE(inodes.error().message.find("inodes"), std::string::npos) << inodes.error().message;
}

// Truncations and byte flips give errors or listings, never a crash (ASan run checks memory).
TEST(SquashfsListingTest, DamagedImagesNeverCrash) {
  for (const char* name : {"normal-gzip.sqfs", "normal-xz.sqfs", "normal-zstd.sqfs", "symlink-newline.sqfs"}) {
    auto img = Bytes(kSeeds / name);
    for (std::size_t n = 0; n < img.size(); n += 97) {
      auto r = ReadSquashfsListing(std::span<const std::uint8_t>(img.data(), n));
      if (!r.ok()) {
        EXPECT_EQ(r.error().code, ErrorCode::kInput);
      }
    }
    std::mt19937 rng(14);
    SquashfsLimits small;
    small.max_content_bytes = 1 << 20;
    for (int i = 0; i < 300; ++i) {
      auto copy = img;
      for (int k = 0; k < 4; ++k) copy[rng() % copy.size()] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
      (void)ReadSquashfsListing(copy, small);
    }
  }
}

}  // namespace
}  // namespace kiln::diff
