#include "builder/update_agent/partition_sink.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <zstd.h>

#include "builder/common/files.h"
#include "builder/common/unique_fd.h"
#include "builder/verity/verity.h"

namespace kiln::update_agent {
namespace {

std::string Bytes(std::size_t n) {
  std::string s(n, '\0');
  std::uint32_t x = 12345;
  for (auto& c : s) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

std::string Zstd(const std::string& in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3));
  return out;
}

class PartitionSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = TempDir::Create({}, "kiln-sink-test");
    ASSERT_TRUE(d.ok());
    dir_ = std::move(d).value();
    fd_ = UniqueFd(::open((dir_.path() / "disk").c_str(), O_RDWR | O_CREAT, 0600));
    ASSERT_TRUE(fd_.valid());
    ASSERT_EQ(::ftruncate(fd_.get(), 1 << 22), 0);
  }
  std::string Read(std::uint64_t off, std::size_t n) {
    std::string s(n, '\0');
    EXPECT_EQ(::pread(fd_.get(), s.data(), n, static_cast<off_t>(off)), static_cast<ssize_t>(n));
    return s;
  }
  TempDir dir_;
  UniqueFd fd_;
};

TEST_F(PartitionSinkTest, DecompressesAcrossWritesIntoItsRange) {
  const std::string content = Bytes(1 << 20);
  const std::string served = Zstd(content);
  auto sink = PartitionSink::Create(fd_.get(), 4096, 2 << 20, true, "root");
  ASSERT_TRUE(sink.ok());
  // Split at odd places, as a resumed download does.
  ASSERT_TRUE(sink->Write(std::string_view(served).substr(0, 1001)).ok());
  ASSERT_TRUE(sink->Write(std::string_view(served).substr(1001, served.size() / 2)).ok());
  ASSERT_TRUE(sink->Write(std::string_view(served).substr(1001 + served.size() / 2)).ok());
  ASSERT_TRUE(sink->Finish().ok());
  EXPECT_EQ(sink->served_size(), served.size());
  EXPECT_EQ(sink->content_size(), content.size());
  EXPECT_EQ(sink->ServedDigest(), Sha256Of(served));
  EXPECT_EQ(sink->ContentDigest(), Sha256Of(content));
  EXPECT_EQ(Read(4096, content.size()), content);
  EXPECT_EQ(Read(0, 4096), std::string(4096, '\0'));  // nothing before the range
  auto back = HashRange(fd_.get(), 4096, content.size());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, Sha256Of(content));
}

// The verity hash device of `content` (whole 4 KiB blocks), written at byte `at` of fd, and the
// tree loaded from there and checked against its root hash.
verity::CheckedTree TreeOf(const TempDir& dir, int fd, const std::string& content, std::uint64_t at) {
  UniqueFd data(::open((dir.path() / "content").c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600));
  EXPECT_EQ(::pwrite(data.get(), content.data(), content.size(), 0), static_cast<ssize_t>(content.size()));
  verity::VerityParams params;
  params.salt.fill(7);
  auto v = verity::ComputeVerity(data.get(), 0, content.size(), params, 1);
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(::pwrite(fd, v->hash_device.data(), v->hash_device.size(), static_cast<off_t>(at)),
            static_cast<ssize_t>(v->hash_device.size()));
  verity::CheckedTree tree;
  auto check = verity::LoadCheckedTree(fd, at, v->hash_device.size(), content.size(), v->root_hash, &tree);
  EXPECT_TRUE(check.ok() && check->ok);
  return tree;
}

TEST_F(PartitionSinkTest, BlocksThatMatchTheTreePassInAnyChunking) {
  const std::string content = Bytes(40 * 4096);
  const verity::CheckedTree tree = TreeOf(dir_, fd_.get(), content, 3 << 20);
  const std::string served = Zstd(content);
  auto sink = PartitionSink::Create(fd_.get(), 0, 1 << 20, true, "root");
  ASSERT_TRUE(sink.ok());
  sink->CheckBlocksAgainst(&tree);
  for (std::size_t at = 0; at < served.size(); at += 777)
    ASSERT_TRUE(sink->Write(std::string_view(served).substr(at, 777)).ok());
  ASSERT_TRUE(sink->Finish().ok());
  EXPECT_EQ(sink->content_size(), content.size());
  EXPECT_EQ(Read(0, content.size()), content);
}

TEST_F(PartitionSinkTest, ABadBlockStopsTheDownloadThere) {
  const std::string content = Bytes(64 * 4096);
  const verity::CheckedTree tree = TreeOf(dir_, fd_.get(), content, 3 << 20);
  std::string bad = content;
  bad[5 * 4096 + 100] ^= 1;  // block 5; its sha256 as served would only be known at the end
  auto sink = PartitionSink::Create(fd_.get(), 0, 1 << 20, false, "root");
  ASSERT_TRUE(sink.ok());
  sink->CheckBlocksAgainst(&tree);
  Status st = OkStatus();
  std::size_t fed = 0;
  for (; fed < bad.size() && st.ok(); fed += 3000) st = sink->Write(std::string_view(bad).substr(fed, 3000));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kIntegrity);
  EXPECT_NE(st.error().message.find("block 5 (byte 20480) does not match the signed verity tree"), std::string::npos)
      << st.error().message;
  EXPECT_LE(fed, 7u * 4096);                   // refused as block 5 completed, not at the end
  EXPECT_LE(sink->content_size(), 6u * 4096);  // and block 6 onwards never reached the disk
  // After a restart (a resumed download starting over) the good content passes.
  ASSERT_TRUE(sink->Restart().ok());
  ASSERT_TRUE(sink->Write(content).ok());
  ASSERT_TRUE(sink->Finish().ok());
  EXPECT_EQ(Read(0, content.size()), content);
}

TEST_F(PartitionSinkTest, RestartForgetsEverything) {
  const std::string content = Bytes(300000);
  const std::string served = Zstd(content);
  auto sink = PartitionSink::Create(fd_.get(), 0, 1 << 20, true, "root");
  ASSERT_TRUE(sink.ok());
  ASSERT_TRUE(sink->Write(std::string_view(served).substr(0, served.size() / 2)).ok());
  ASSERT_TRUE(sink->Restart().ok());
  ASSERT_TRUE(sink->Write(served).ok());
  ASSERT_TRUE(sink->Finish().ok());
  EXPECT_EQ(sink->content_size(), content.size());
  EXPECT_EQ(sink->ContentDigest(), Sha256Of(content));
}

TEST_F(PartitionSinkTest, TruncatedZstdIsRefused) {
  const std::string served = Zstd(Bytes(300000));
  auto sink = PartitionSink::Create(fd_.get(), 0, 1 << 20, true, "root");
  ASSERT_TRUE(sink.ok());
  ASSERT_TRUE(sink->Write(std::string_view(served).substr(0, served.size() - 10)).ok());
  auto s = sink->Finish();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kIntegrity);
}

TEST_F(PartitionSinkTest, NeverWritesPastItsPartition) {
  auto sink = PartitionSink::Create(fd_.get(), 8192, 4096, false, "verity");
  ASSERT_TRUE(sink.ok());
  ASSERT_TRUE(sink->Write(std::string(4000, 'x')).ok());
  auto s = sink->Write(std::string(200, 'y'));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kIntegrity);
  EXPECT_EQ(Read(8192 + 4096, 200), std::string(200, '\0'));
}

}  // namespace
}  // namespace kiln::update_agent
