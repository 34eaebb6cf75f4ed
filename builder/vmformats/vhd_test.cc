#include "builder/vmformats/vhd.h"

#include <gtest/gtest.h>

#include "builder/common/files.h"
#include "builder/vmformats/crc32c.h"
#include "builder/vmformats/file_io.h"

namespace kiln::vmformats {
namespace {

namespace fs = std::filesystem;

TEST(Crc32cTest, KnownVector) { EXPECT_EQ(Crc32c("123456789"), 0xE3069283u); }

TEST(VhdTest, VirtualSizeIsWholeMiB) {
  EXPECT_EQ(VhdVirtualSize(kMiB), kMiB);
  EXPECT_EQ(VhdVirtualSize(kMiB + 512), 2 * kMiB);
  EXPECT_EQ(VhdVirtualSize(1), kMiB);
}

TEST(VhdTest, FooterFields) {
  Uuid id;
  id.bytes[0] = 0xab;
  const std::string f = MakeVhdFooter(64 * kMiB, 946684800 + 1000, id);
  ASSERT_EQ(f.size(), 512u);
  EXPECT_EQ(f.substr(0, 8), "conectix");
  EXPECT_EQ(GetBe(f, 16, 8), ~0ULL);        // fixed: no dynamic header
  EXPECT_EQ(GetBe(f, 24, 4), 1000u);        // seconds since 2000-01-01
  EXPECT_EQ(GetBe(f, 48, 8), 64 * kMiB);
  EXPECT_EQ(GetBe(f, 60, 4), 2u);
  EXPECT_EQ(static_cast<unsigned char>(f[68]), 0xab);
  auto parsed = ParseVhdFooter(f);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->current_size, 64 * kMiB);
  // Times before 2000 clamp to 0; the checksum catches any changed byte.
  EXPECT_EQ(GetBe(MakeVhdFooter(kMiB, 0, id), 24, 4), 0u);
  std::string bad = f;
  bad[48] ^= 1;
  EXPECT_FALSE(ParseVhdFooter(bad).ok());
}

TEST(VhdTest, WritesPaddedDataThenFooter) {
  auto tmp = TempDir::Create();
  ASSERT_TRUE(tmp.ok());
  const fs::path raw = tmp->path() / "a.raw", vhd = tmp->path() / "a.vhd";
  std::string data(kMiB + 4096, '\0');
  data[5] = 'x';
  data[kMiB + 100] = 'y';
  ASSERT_TRUE(WriteFile(raw, data).ok());
  std::array<std::uint8_t, 16> seed{};
  ASSERT_TRUE(WriteVhd(raw, vhd, 1700000000, seed).ok());
  auto out = ReadFile(vhd);
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->size(), 2 * kMiB + 512);
  EXPECT_EQ(out->substr(0, data.size()), data);
  EXPECT_EQ(out->find_first_not_of('\0', data.size()), 2 * kMiB);  // zero padding up to the footer
  auto footer = ParseVhdFooter(out->substr(2 * kMiB));
  ASSERT_TRUE(footer.ok());
  EXPECT_EQ(footer->current_size, 2 * kMiB);
  // The same inputs give the same bytes; another seed another unique id.
  const fs::path again = tmp->path() / "b.vhd";
  ASSERT_TRUE(WriteVhd(raw, again, 1700000000, seed).ok());
  EXPECT_EQ(*ReadFile(again), *out);
  seed[0] = 1;
  ASSERT_TRUE(WriteVhd(raw, again, 1700000000, seed).ok());
  EXPECT_NE(*ReadFile(again), *out);
}

}  // namespace
}  // namespace kiln::vmformats
