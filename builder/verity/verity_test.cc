#include "builder/verity/verity.h"

#include <fcntl.h>
#include <unistd.h>

#include <random>

#include <gtest/gtest.h>

#include "builder/common/files.h"
#include "builder/common/subprocess.h"
#include "builder/common/unique_fd.h"
#include "builder/verity/verity_check.h"
#include "builder/verity/verity_format.h"

namespace kiln::verity {
namespace {

namespace fs = std::filesystem;

VerityParams TestParams() {
  VerityParams p;
  for (std::size_t i = 0; i < p.salt.size(); ++i) p.salt[i] = static_cast<std::uint8_t>(i * 7 + 1);
  p.uuid = Uuid::Parse("12345678-9abc-4def-8123-456789abcdef").value();
  return p;
}

std::string RandomData(std::size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(size, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

ProcessSpec Spec(std::vector<std::string> argv) {
  ProcessSpec spec;
  spec.argv = std::move(argv);
  return spec;
}

UniqueFd OpenFile(const fs::path& p, int flags = O_RDONLY) { return UniqueFd(::open(p.c_str(), flags)); }

class VerityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir::Create({}, "kiln-verity-test").value();
    veritysetup_ = FindProgram("veritysetup");
  }
  fs::path Path(const std::string& name) const { return dir_.path() / name; }

  // Runs veritysetup format and returns {hash device bytes, root hash hex}.
  std::pair<std::string, std::string> Reference(const fs::path& data) {
    fs::path hash = data.string() + ".ref-hash";
    VerityParams p = TestParams();
    auto r = RunChecked(Spec({veritysetup_.string(), "format",
                                "--salt=" + ToHex(std::span<const std::uint8_t>(p.salt)),
                                "--uuid=" + p.uuid.ToString(), data.string(), hash.string()}));
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    std::string out = r->out;
    std::size_t at = out.find("Root hash:");
    EXPECT_NE(at, std::string::npos) << out;
    std::string root;
    for (std::size_t i = at + 10; i < out.size() && out[i] != '\n'; ++i)
      if (!std::isspace(static_cast<unsigned char>(out[i]))) root.push_back(out[i]);
    return {ReadFile(hash).value(), root};
  }

  TempDir dir_;
  fs::path veritysetup_;
};

TEST(VerityGeometry, LevelsAndPositions) {
  EXPECT_EQ(ComputeGeometry(1).hash_blocks, 0u);
  EXPECT_EQ(ComputeGeometry(1).DeviceSize(), 4096u);
  EXPECT_EQ(ComputeGeometry(128).level_blocks, (std::vector<std::uint64_t>{1}));
  TreeGeometry g = ComputeGeometry(200);
  EXPECT_EQ(g.level_blocks, (std::vector<std::uint64_t>{2, 1}));
  EXPECT_EQ(g.level_start, (std::vector<std::uint64_t>{1, 0}));  // top level first
  EXPECT_EQ(g.DeviceSize(), 16384u);
  TreeGeometry big = ComputeGeometry(128 * 128 + 1);
  EXPECT_EQ(big.level_blocks, (std::vector<std::uint64_t>{129, 2, 1}));
  EXPECT_EQ(big.level_start, (std::vector<std::uint64_t>{3, 1, 0}));
}

TEST(VeritySuperblock, RoundTrip) {
  VeritySuperblock sb;
  sb.uuid = TestParams().uuid;
  sb.data_blocks = 42;
  sb.salt = {1, 2, 3};
  std::string bytes = EncodeSuperblock(sb);
  ASSERT_EQ(bytes.size(), 4096u);
  auto decoded = DecodeSuperblock(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  ASSERT_TRUE(decoded.ok()) << decoded.error().ToString();
  EXPECT_EQ(*decoded, sb);
}

// veritysetup --salt=- writes no salt; encoding one must not hand memcpy a null pointer
// (found by superblock_fuzz; UBSan in the sanitizer pass fails this without the fix).
TEST(VeritySuperblock, RoundTripWithoutSalt) {
  VeritySuperblock sb;
  sb.data_blocks = 1;
  std::string bytes = EncodeSuperblock(sb);
  auto decoded = DecodeSuperblock(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  ASSERT_TRUE(decoded.ok()) << decoded.error().ToString();
  EXPECT_EQ(*decoded, sb);
}

TEST_F(VerityTest, MatchesVeritysetupFormat) {
  if (veritysetup_.empty()) GTEST_SKIP() << "veritysetup not installed";
  for (std::size_t blocks : {1, 3, 128, 129, 300}) {
    SCOPED_TRACE("blocks=" + std::to_string(blocks));
    fs::path data = Path("data" + std::to_string(blocks));
    ASSERT_TRUE(WriteFile(data, RandomData(blocks * 4096, static_cast<unsigned>(blocks))).ok());
    auto [ref_hash, ref_root] = Reference(data);

    UniqueFd fd = OpenFile(data);
    auto r = ComputeVerity(fd.get(), 0, blocks * 4096, TestParams(), 2);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_EQ(r->data_blocks, blocks);
    EXPECT_EQ(ToHex(r->root_hash), ref_root);
    EXPECT_EQ(r->hash_device.size(), ref_hash.size());
    EXPECT_TRUE(r->hash_device == ref_hash) << "hash device bytes differ from veritysetup's";

    // The streaming hasher, fed out of order, gives the same result.
    std::string bytes = ReadFile(data).value();
    VerityHasher hasher(TestParams());
    for (std::size_t i = blocks; i-- > 0;)
      hasher.HashBlock(i, reinterpret_cast<const std::uint8_t*>(bytes.data()) + i * 4096);
    auto streamed = hasher.Finish(blocks);
    ASSERT_TRUE(streamed.ok());
    EXPECT_EQ(*streamed, *r);

    // veritysetup accepts kiln's hash device.
    fs::path ours = Path("ours" + std::to_string(blocks));
    ASSERT_TRUE(WriteFile(ours, r->hash_device).ok());
    auto v = RunProcess(Spec({veritysetup_.string(), "verify", data.string(), ours.string(),
                                ToHex(r->root_hash)}));
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->exit_code, 0) << v->err;
  }
}

TEST_F(VerityTest, SameResultForAnyJobCount) {
  fs::path data = Path("data");
  ASSERT_TRUE(WriteFile(data, RandomData(1000 * 4096, 9)).ok());
  UniqueFd fd = OpenFile(data);
  auto one = ComputeVerity(fd.get(), 0, 1000 * 4096, TestParams(), 1);
  auto three = ComputeVerity(fd.get(), 0, 1000 * 4096, TestParams(), 3);
  ASSERT_TRUE(one.ok() && three.ok());
  EXPECT_EQ(*one, *three);
}

TEST(VerityHasherTest, MissingLeafIsAnError) {
  VerityHasher h(TestParams());
  std::string block(4096, 'x');
  h.HashBlock(0, reinterpret_cast<const std::uint8_t*>(block.data()));
  h.HashBlock(2, reinterpret_cast<const std::uint8_t*>(block.data()));
  auto r = h.Finish(3);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("data block 1"), std::string::npos) << r.error().message;
  h.HashBlock(1, reinterpret_cast<const std::uint8_t*>(block.data()));
  EXPECT_TRUE(h.Finish(3).ok());
  h.InvalidateFrom(1);
  EXPECT_FALSE(h.Finish(2).ok());
  EXPECT_TRUE(h.Finish(1).ok());
}

TEST(VerityHasherTest, RejectsPartialBlocks) {
  EXPECT_FALSE(ComputeVerity(-1, 0, 4095, TestParams(), 1).ok());
  EXPECT_FALSE(ComputeVerity(-1, 0, 0, TestParams(), 1).ok());
}

// Data and hash device side by side in one file at nonzero offsets, like a disk image.
class VerityCheckTest : public VerityTest {
 protected:
  static constexpr std::uint64_t kBlocks = 300;  // two leaf-level hash blocks and a top block
  static constexpr std::uint64_t kDataOff = 8192;

  void SetUp() override {
    VerityTest::SetUp();
    std::string data = RandomData(kBlocks * 4096, 77);
    data_file_ = Path("disk");
    ASSERT_TRUE(WriteFile(data_file_, std::string(kDataOff, 'p') + data).ok());
    UniqueFd fd = OpenFile(data_file_);
    auto r = ComputeVerity(fd.get(), kDataOff, data.size(), TestParams(), 2);
    ASSERT_TRUE(r.ok());
    result_ = *r;
    hash_off_ = kDataOff + data.size() + 4096;
    std::string disk = ReadFile(data_file_).value();
    disk += std::string(4096, 'q') + result_.hash_device + std::string(4096, 'r');
    ASSERT_TRUE(WriteFile(data_file_, disk).ok());
  }

  VerityCheck Check(const Digest& root) {
    UniqueFd fd = OpenFile(data_file_);
    auto r = CheckVerity(fd.get(), kDataOff, kBlocks * 4096, fd.get(), hash_off_, result_.hash_device.size(), root, 2);
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    return r.ok() ? *r : VerityCheck{};
  }

  void FlipByte(std::uint64_t at) {
    UniqueFd fd = OpenFile(data_file_, O_RDWR);
    std::uint8_t b = 0;
    ASSERT_EQ(::pread(fd.get(), &b, 1, static_cast<off_t>(at)), 1);
    b ^= 0x40;
    ASSERT_EQ(::pwrite(fd.get(), &b, 1, static_cast<off_t>(at)), 1);
  }

  fs::path data_file_;
  VerityResult result_;
  std::uint64_t hash_off_ = 0;
};

TEST_F(VerityCheckTest, AcceptsIntactDevices) {
  VerityCheck c = Check(result_.root_hash);
  EXPECT_TRUE(c.ok) << c.message;
}

TEST_F(VerityCheckTest, WrongRootHash) {
  Digest wrong = result_.root_hash;
  wrong[0] ^= 1;
  VerityCheck c = Check(wrong);
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.fault, VerityFault::kRootHash);
  EXPECT_NE(c.message.find("root hash mismatch"), std::string::npos) << c.message;
}

TEST_F(VerityCheckTest, FlippedDataByte) {
  FlipByte(kDataOff + 217 * 4096 + 1234);
  VerityCheck c = Check(result_.root_hash);
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.fault, VerityFault::kDataBlock);
  EXPECT_EQ(c.index, 217u);
  EXPECT_NE(c.message.find("data block 217"), std::string::npos) << c.message;
}

TEST_F(VerityCheckTest, FlippedLeafHashBlockByte) {
  // Layout: superblock, level 1 (top), level 0 block 0, level 0 block 1.
  FlipByte(hash_off_ + 3 * 4096 + 100);
  VerityCheck c = Check(result_.root_hash);
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.fault, VerityFault::kHashBlock);
  EXPECT_EQ(c.level, 0);
  EXPECT_EQ(c.index, 1u);
  EXPECT_NE(c.message.find("hash block 1 of level 0"), std::string::npos) << c.message;
}

TEST_F(VerityCheckTest, FlippedTopHashBlockByte) {
  FlipByte(hash_off_ + 4096 + 5);
  VerityCheck c = Check(result_.root_hash);
  EXPECT_EQ(c.fault, VerityFault::kRootHash);
}

TEST_F(VerityCheckTest, FlippedSuperblockBytes) {
  FlipByte(hash_off_ + 33);  // algorithm "sha256" -> "s(a256"
  VerityCheck c = Check(result_.root_hash);
  EXPECT_EQ(c.fault, VerityFault::kSuperblock);
  EXPECT_NE(c.message.find("algorithm"), std::string::npos) << c.message;
  FlipByte(hash_off_ + 33);
  FlipByte(hash_off_ + 73);  // data_blocks grows beyond the data device
  c = Check(result_.root_hash);
  EXPECT_EQ(c.fault, VerityFault::kSuperblock);
  EXPECT_NE(c.message.find("data_blocks"), std::string::npos) << c.message;
  FlipByte(hash_off_ + 73);
  FlipByte(hash_off_ + 0);  // magic
  c = Check(result_.root_hash);
  EXPECT_EQ(c.fault, VerityFault::kSuperblock);
  EXPECT_NE(c.message.find("magic"), std::string::npos) << c.message;
  FlipByte(hash_off_ + 0);
  EXPECT_TRUE(Check(result_.root_hash).ok);
}

TEST_F(VerityCheckTest, SingleBlockDevice) {
  fs::path data = Path("one");
  ASSERT_TRUE(WriteFile(data, RandomData(4096, 3)).ok());
  UniqueFd fd = OpenFile(data);
  auto r = ComputeVerity(fd.get(), 0, 4096, TestParams(), 1);
  ASSERT_TRUE(r.ok());
  fs::path hash = Path("one.hash");
  ASSERT_TRUE(WriteFile(hash, r->hash_device).ok());
  UniqueFd hfd = OpenFile(hash);
  auto c = CheckVerity(fd.get(), 0, 4096, hfd.get(), 0, 4096, r->root_hash, 1);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->ok) << c->message;
}

}  // namespace
}  // namespace kiln::verity
