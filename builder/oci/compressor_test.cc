#include "builder/oci/compressor.h"

#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include "builder/common/files.h"
#include "builder/oci/test_support.h"

namespace kiln::oci {
namespace {

using namespace kiln::oci::testing;

// Compressible but not trivial: text-like runs mixed with pseudo-random bytes.
std::string SampleData(std::size_t size) {
  std::string s;
  s.reserve(size);
  std::uint32_t x = 12345;
  while (s.size() < size) {
    x = x * 1103515245 + 12345;
    if ((x >> 16) % 3 == 0) {
      s += "the quick brown fox jumps over the lazy dog " + std::to_string(x % 1000) + "\n";
    } else {
      for (int i = 0; i < 16; ++i) s += static_cast<char>((x >> (i % 24)) & 0xff);
    }
  }
  s.resize(size);
  return s;
}

std::string Compress(LayerCompression c, const std::string& data, unsigned jobs,
                     std::size_t piece = 100000) {
  StringSink out;
  CompressorOptions opts;
  opts.jobs = jobs;
  opts.zstd_job_size = 1u << 20;  // several zstd jobs on a few MiB
  auto comp = MakeCompressor(c, out, opts);
  EXPECT_TRUE(comp.ok());
  // Feed in uneven pieces: the output must not depend on how input arrives.
  for (std::size_t off = 0; off < data.size(); off += piece)
    EXPECT_TRUE((*comp)->Write(std::string_view(data).substr(off, piece)).ok());
  EXPECT_TRUE((*comp)->Finish().ok());
  return out.data();
}

std::string Gunzip(const std::string& gz) {
  z_stream s{};
  EXPECT_EQ(inflateInit2(&s, 16 + 15), Z_OK);
  std::string out;
  char buf[65536];
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  s.avail_in = static_cast<uInt>(gz.size());
  int rc;
  do {
    s.next_out = reinterpret_cast<Bytef*>(buf);
    s.avail_out = sizeof buf;
    rc = inflate(&s, Z_NO_FLUSH);
    out.append(buf, sizeof buf - s.avail_out);
  } while (rc == Z_OK);
  EXPECT_EQ(rc, Z_STREAM_END);
  EXPECT_EQ(s.avail_in, 0u);  // one member, nothing after the trailer
  inflateEnd(&s);
  return out;
}

std::string Unzstd(const std::string& z) {
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> d(ZSTD_createDCtx(), ZSTD_freeDCtx);
  std::string out;
  std::string buf(ZSTD_DStreamOutSize(), '\0');
  ZSTD_inBuffer in{z.data(), z.size(), 0};
  std::size_t rc = 1;
  while (in.pos < in.size) {
    ZSTD_outBuffer o{buf.data(), buf.size(), 0};
    rc = ZSTD_decompressStream(d.get(), &o, &in);
    EXPECT_FALSE(ZSTD_isError(rc)) << ZSTD_getErrorName(rc);
    if (ZSTD_isError(rc)) break;
    out.append(buf.data(), o.pos);
  }
  EXPECT_EQ(rc, 0u);  // frame complete
  return out;
}

TEST(Gzip, FixedHeaderAndRoundTrip) {
  const std::string data = SampleData(3 * (1u << 20) + 12345);
  std::string gz = Compress(LayerCompression::kGzip, data, 2);
  ASSERT_GE(gz.size(), 18u);
  EXPECT_EQ(gz.substr(0, 10), std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10));
  EXPECT_EQ(Gunzip(gz), data);
  EXPECT_LT(gz.size(), data.size());
}

TEST(Gzip, SameBytesForAnyThreadCountAndFeeding) {
  const std::string data = SampleData(4 * (1u << 20) + 7);
  std::string one = Compress(LayerCompression::kGzip, data, 1);
  EXPECT_EQ(Compress(LayerCompression::kGzip, data, 2), one);
  EXPECT_EQ(Compress(LayerCompression::kGzip, data, 5, 1u << 20), one);
  EXPECT_EQ(Compress(LayerCompression::kGzip, data, 3, 4097), one);
}

TEST(Gzip, EdgeSizes) {
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{1} << 20, (std::size_t{2} << 20) + 1}) {
    const std::string data = SampleData(size);
    EXPECT_EQ(Gunzip(Compress(LayerCompression::kGzip, data, 2)), data) << size;
  }
}

TEST(Gzip, GzipToolAcceptsIt) {
  if (FindProgram("gzip").empty()) GTEST_SKIP() << "gzip not installed";
  auto dir = TempDir::Create({}, "kiln-gz-test");
  ASSERT_TRUE(dir.ok());
  std::filesystem::path f = dir->path() / "x.gz";
  ASSERT_TRUE(WriteFile(f, Compress(LayerCompression::kGzip, SampleData(2500000), 2)).ok());
  RunTool({"gzip", "-t", f.string()});
}

TEST(Zstd, SameBytesForAnyThreadCountAndRoundTrip) {
  const std::string data = SampleData(5 * (1u << 20) + 99);
  std::string one = Compress(LayerCompression::kZstd, data, 1);
  EXPECT_EQ(Compress(LayerCompression::kZstd, data, 2), one);
  EXPECT_EQ(Compress(LayerCompression::kZstd, data, 4, 777777), one);
  EXPECT_EQ(Unzstd(one), data);
  EXPECT_EQ(Unzstd(Compress(LayerCompression::kZstd, "", 2)), "");
  if (FindProgram("zstd").empty()) GTEST_SKIP() << "zstd not installed";
  auto dir = TempDir::Create({}, "kiln-zstd-test");
  ASSERT_TRUE(dir.ok());
  std::filesystem::path f = dir->path() / "x.zst";
  ASSERT_TRUE(WriteFile(f, one).ok());
  RunTool({"zstd", "-q", "-t", f.string()});
}

TEST(LayerCompression, NamesMediaTypes) {
  EXPECT_STREQ(LayerMediaType(LayerCompression::kGzip), "application/vnd.oci.image.layer.v1.tar+gzip");
  EXPECT_STREQ(LayerMediaType(LayerCompression::kZstd), "application/vnd.oci.image.layer.v1.tar+zstd");
}

}  // namespace
}  // namespace kiln::oci
