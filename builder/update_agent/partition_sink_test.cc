#include "builder/update_agent/partition_sink.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <zstd.h>

#include "builder/common/files.h"
#include "builder/common/unique_fd.h"

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
