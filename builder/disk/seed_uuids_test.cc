#include "builder/disk/seed_uuids.h"

#include <cctype>

#include <gtest/gtest.h>

#include "builder/disk/partition_types.h"
#include "builder/disk/test_util.h"

namespace kiln::disk {
namespace {

using testing::HaveTools;
using testing::RunOrFail;

const Seed kSeed = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                    0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};

// HMAC-SHA256 by the openssl command line, an implementation independent of kiln's.
std::string OpensslHmac(const std::string& key_hex, const std::filesystem::path& msg_file) {
  std::string out = RunOrFail({"openssl", "mac", "-digest", "SHA256", "-macopt", "hexkey:" + key_hex,
                               "-in", msg_file.string(), "HMAC"});
  std::string hex;
  for (char c : out)
    if (std::isxdigit(static_cast<unsigned char>(c))) hex.push_back(static_cast<char>(std::tolower(c)));
  return hex;
}

// The v4 rule from formats.md, applied to hex text: byte 6 high nibble = 4, byte 8 top bits = 10.
std::string V4FromHex(const std::string& hmac_hex) {
  std::string h = hmac_hex.substr(0, 32);
  h[12] = '4';
  const char* variant = "89ab89ab89ab89ab";
  h[16] = variant[std::stoi(h.substr(16, 1), nullptr, 16)];
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" +
         h.substr(20);
}

class SeedUuidsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveTools({"openssl"})) GTEST_SKIP() << "openssl not installed";
    dir_ = TempDir::Create().value();
  }
  std::filesystem::path Msg(const std::string& bytes) {
    auto p = dir_.path() / ("msg" + std::to_string(n_++));
    EXPECT_TRUE(WriteFile(p, bytes).ok());
    return p;
  }
  const std::string seed_hex_ = "00112233445566778899aabbccddeeff";
  TempDir dir_;
  int n_ = 0;
};

TEST_F(SeedUuidsTest, DiskGuidMatchesOpenssl) {
  EXPECT_EQ(DiskGuid(kSeed).ToString(), V4FromHex(OpensslHmac(seed_hex_, Msg("disk-uuid"))));
}

TEST_F(SeedUuidsTest, PartitionUuidsMatchOpenssl) {
  Uuid type = PartitionTypeUuid(PartitionRole::kRoot, Architecture::kX86_64);
  std::string type_bytes(type.bytes.begin(), type.bytes.end());
  EXPECT_EQ(PartitionUuid(kSeed, type, 0).ToString(), V4FromHex(OpensslHmac(seed_hex_, Msg(type_bytes))));
  // Second partition of the type: le64(1) appended.
  std::string with_n = type_bytes + std::string("\x01\0\0\0\0\0\0\0", 8);
  EXPECT_EQ(PartitionUuid(kSeed, type, 1).ToString(), V4FromHex(OpensslHmac(seed_hex_, Msg(with_n))));
  std::string with_258 = type_bytes + std::string("\x02\x01\0\0\0\0\0\0", 8);
  EXPECT_EQ(PartitionUuid(kSeed, type, 258).ToString(), V4FromHex(OpensslHmac(seed_hex_, Msg(with_258))));
  EXPECT_NE(PartitionUuid(kSeed, type, 0), PartitionUuid(kSeed, type, 1));
}

TEST_F(SeedUuidsTest, FilesystemVerityUuidAndSaltMatchOpenssl) {
  Uuid part = Uuid::Parse("0fc63daf-8483-4772-8e79-3d69d8477de4").value();
  EXPECT_EQ(FilesystemUuid(part).ToString(),
            V4FromHex(OpensslHmac("0fc63daf848347728e793d69d8477de4", Msg("file-system-uuid"))));
  EXPECT_EQ(VerityUuid(kSeed).ToString(), V4FromHex(OpensslHmac(seed_hex_, Msg("verity-uuid"))));
  EXPECT_EQ(ToHex(VeritySalt(kSeed)), OpensslHmac(seed_hex_, Msg("verity-salt")));
}

TEST(SeedUuids, DependOnlyOnTheSeed) {
  Seed other = kSeed;
  other[15] ^= 1;
  EXPECT_EQ(DiskGuid(kSeed), DiskGuid(kSeed));
  EXPECT_NE(DiskGuid(kSeed), DiskGuid(other));
  EXPECT_NE(VeritySalt(kSeed), VeritySalt(other));
  Uuid g = DiskGuid(kSeed);
  EXPECT_EQ(g.bytes[6] >> 4, 4);
  EXPECT_EQ(g.bytes[8] >> 6, 2);
}

}  // namespace
}  // namespace kiln::disk
