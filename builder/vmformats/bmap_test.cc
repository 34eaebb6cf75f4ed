#include "builder/vmformats/bmap.h"

#include <gtest/gtest.h>

#include "builder/common/files.h"
#include "builder/common/sha256.h"

namespace kiln::vmformats {
namespace {

namespace fs = std::filesystem;

TEST(BmapTest, MapsNonZeroBlocksFromContent) {
  auto tmp = TempDir::Create();
  ASSERT_TRUE(tmp.ok());
  // Blocks: 0 data, 1 zero, 2-3 data, 4 zero, and a short last block (5) with data.
  std::string data(5 * 4096 + 100, '\0');
  data[0] = 1;
  data[2 * 4096 + 7] = 2;
  data[3 * 4096] = 3;
  data[5 * 4096 + 99] = 4;
  const fs::path image = tmp->path() / "x.raw";
  ASSERT_TRUE(WriteFile(image, data).ok());
  auto map = ComputeBlockMap(image);
  ASSERT_TRUE(map.ok()) << map.error().message;
  EXPECT_EQ(map->image_size, data.size());
  EXPECT_EQ(map->blocks_count, 6u);
  ASSERT_EQ(map->ranges.size(), 3u);
  EXPECT_EQ(map->ranges[0], (BmapRange{0, 0, ToHex(Sha256Of(data.substr(0, 4096)))}));
  EXPECT_EQ(map->ranges[1], (BmapRange{2, 3, ToHex(Sha256Of(data.substr(2 * 4096, 2 * 4096)))}));
  EXPECT_EQ(map->ranges[2], (BmapRange{5, 5, ToHex(Sha256Of(data.substr(5 * 4096)))}));
  EXPECT_EQ(map->MappedBlocks(), 4u);
}

TEST(BmapTest, FormatParsesBackAndChecksItsChecksum) {
  BlockMap m;
  m.image_size = 10 * 4096;
  m.blocks_count = 10;
  m.ranges = {{0, 1, std::string(64, 'a')}, {7, 7, std::string(64, 'b')}};
  const std::string xml = FormatBmap(m);
  EXPECT_NE(xml.find("<bmap version=\"2.0\">"), std::string::npos);
  // Well-formed XML: no "--" inside the comment (bmaptool's parser rejects it).
  const std::size_t comment = xml.find("<!--") + 4;
  EXPECT_EQ(xml.substr(comment, xml.find("-->") - comment).find("--"), std::string::npos);
  EXPECT_NE(xml.find("<MappedBlocksCount> 3 </MappedBlocksCount>"), std::string::npos);
  EXPECT_NE(xml.find("> 0-1 </Range>"), std::string::npos);
  EXPECT_NE(xml.find("> 7 </Range>"), std::string::npos);
  // BmapFileChecksum is the SHA-256 of the file with the field all zeros.
  const std::size_t at = xml.find("<BmapFileChecksum> ") + 19;
  std::string zeroed = xml;
  zeroed.replace(at, 64, std::string(64, '0'));
  EXPECT_EQ(xml.substr(at, 64), ToHex(Sha256Of(zeroed)));
  auto parsed = ParseBmap(xml);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(*parsed, m);
  std::string tampered = xml;
  tampered.replace(tampered.find("> 7 </Range>"), 12, "> 8 </Range>");
  EXPECT_EQ(ParseBmap(tampered).error().code, ErrorCode::kIntegrity);
}

TEST(BmapTest, RejectsHostileMaps) {
  auto with_ranges = [](const std::string& ranges, std::uint64_t blocks = 10) {
    std::string x = "<?xml version=\"1.0\" ?>\n<!-- <BlocksCount> 99 </BlocksCount> in a comment -->\n"
                    "<bmap version=\"2.0\"><ImageSize> " + std::to_string(blocks * 4096) +
                    " </ImageSize><BlockSize> 4096 </BlockSize><BlocksCount> " + std::to_string(blocks) +
                    " </BlocksCount><MappedBlocksCount> 1 </MappedBlocksCount><ChecksumType> sha256 </ChecksumType>"
                    "<BmapFileChecksum> " + std::string(64, '0') + " </BmapFileChecksum><BlockMap>" + ranges +
                    "</BlockMap></bmap>\n";
    std::string sum = ToHex(Sha256Of(x));
    x.replace(x.find(std::string(64, '0')), 64, sum);
    return x;
  };
  const std::string c = " chksum=\"" + std::string(64, 'c') + "\"";
  EXPECT_TRUE(ParseBmap(with_ranges("<Range" + c + "> 3 </Range>")).ok());
  EXPECT_FALSE(ParseBmap(with_ranges("<Range" + c + "> 10 </Range>")).ok());               // outside the image
  EXPECT_FALSE(ParseBmap(with_ranges("<Range" + c + "> 3 </Range><Range" + c + "> 2 </Range>")).ok());  // order
  EXPECT_FALSE(ParseBmap(with_ranges("<Range> 3 </Range>")).ok());                          // no checksum
  EXPECT_FALSE(ParseBmap(with_ranges("<Range" + c + "> 3-x </Range>")).ok());
  EXPECT_FALSE(ParseBmap("<bmap version=\"1.4\"></bmap>").ok());
}

}  // namespace
}  // namespace kiln::vmformats
