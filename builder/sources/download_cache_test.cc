#include "builder/sources/download_cache.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <thread>

#include "builder/common/files.h"
#include "builder/transfer/test_http_server.h"

namespace kiln::sources {
namespace {

namespace fs = std::filesystem;
using transfer::testing::TestHttpServer;

// 3 MiB of deterministic, incompressible-looking bytes.
std::string Body(char salt = 0) { return transfer::testing::PseudoRandomBytes(3 << 20, salt); }

class DownloadCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::Create({}, "kiln-cache-test");
    ASSERT_TRUE(dir.ok());
    dir_ = std::move(dir).value();
    ctx_.cache_dir = dir_.path() / "cache";
    opts_.backoff_base = std::chrono::milliseconds(10);
    opts_.backoff_max = std::chrono::milliseconds(40);
  }
  std::vector<fs::path> Files(const fs::path& d) {
    std::vector<fs::path> out;
    std::error_code ec;
    for (auto& e : fs::directory_iterator(d, ec)) out.push_back(e.path());
    return out;
  }

  TempDir dir_;
  BuildContext ctx_;
  FetchOptions opts_;
  std::string body_ = Body();
  std::string hex_ = ToHex(Sha256Of(body_));
};

TEST_F(DownloadCacheTest, DownloadsVerifiesAndCaches) {
  TestHttpServer server(body_);
  int events = 0;
  ctx_.on_event = [&](const Event& e) { events += e.stage == "sources"; };
  auto path = Fetch({server.Url(), hex_}, ctx_, opts_);
  ASSERT_TRUE(path.ok()) << path.error().ToString();
  EXPECT_EQ(*path, BlobPath(ctx_.cache_dir, hex_));
  EXPECT_EQ(*ReadFile(*path), body_);
  struct stat st {};
  ASSERT_EQ(::stat(path->c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  EXPECT_TRUE(Files(ctx_.cache_dir / "tmp").empty());
  EXPECT_GT(events, 0);
}

TEST_F(DownloadCacheTest, CacheHitNeedsNoServer) {
  std::string url;
  {
    TestHttpServer server(body_);
    url = server.Url();
    ASSERT_TRUE(Fetch({url, hex_}, ctx_, opts_).ok());
  }  // server stopped
  ctx_.offline = true;
  auto again = Fetch({url, hex_}, ctx_, opts_);
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_EQ(*ReadFile(*again), body_);
}

// Someone who could write the cache replaced the blob under the pinned digest: the hit is
// hashed again, reported, removed and downloaded again; offline it is a miss.
TEST_F(DownloadCacheTest, PoisonedHitIsHashedAgainAndRefetched) {
  TestHttpServer server(body_);
  ASSERT_TRUE(Fetch({server.Url(), hex_}, ctx_, opts_).ok());
  const fs::path blob = BlobPath(ctx_.cache_dir, hex_);
  ASSERT_TRUE(WriteFile(blob, "evil").ok());
  std::vector<std::string> events;
  ctx_.on_event = [&](const Event& e) { events.push_back(e.message); };
  auto again = Fetch({server.Url(), hex_}, ctx_, opts_);
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_EQ(*ReadFile(*again), body_);
  ASSERT_FALSE(events.empty());
  EXPECT_NE(events.front().find("ignoring corrupt download cache entry"), std::string::npos) << events.front();

  ASSERT_TRUE(WriteFile(blob, "evil").ok());
  ctx_.offline = true;
  auto offline = Fetch({server.Url(), hex_}, ctx_, opts_);
  ASSERT_FALSE(offline.ok());
  EXPECT_EQ(offline.error().code, ErrorCode::kNetwork);
  EXPECT_FALSE(fs::exists(blob));
}

TEST_F(DownloadCacheTest, OfflineMissIsAnErrorNamingTheUrl) {
  TestHttpServer server(body_);
  ctx_.offline = true;
  auto r = Fetch({server.Url(), hex_}, ctx_, opts_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNetwork);
  EXPECT_NE(r.error().message.find(server.Url()), std::string::npos);
  EXPECT_NE(r.error().message.find("--offline"), std::string::npos);
  EXPECT_EQ(server.requests, 0);
}

TEST_F(DownloadCacheTest, ResumesAfterTheConnectionDropsHalfWay) {
  TestHttpServer server(body_);
  server.drop_half_once = true;
  auto r = Fetch({server.Url(), hex_}, ctx_, opts_);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(ToHex(*Sha256File(*r)), hex_);
  EXPECT_EQ(server.requests, 2);
  EXPECT_EQ(server.range_requests, 1);
  EXPECT_GT(server.last_range_start, 0);
  EXPECT_LT(server.last_range_start, static_cast<long long>(body_.size()));
}

TEST_F(DownloadCacheTest, ResumesWhatAnEarlierRunLeft) {
  TestHttpServer server(body_);
  fs::create_directories(ctx_.cache_dir / "tmp");
  ASSERT_TRUE(WriteFile(ctx_.cache_dir / "tmp" / (hex_ + ".part"), body_.substr(0, 1000000)).ok());
  auto r = Fetch({server.Url(), hex_}, ctx_, opts_);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(*ReadFile(*r), body_);
  EXPECT_EQ(server.last_range_start, 1000000);
  EXPECT_EQ(server.requests, 1);
}

TEST_F(DownloadCacheTest, CompletePartGets416AndIsVerified) {
  TestHttpServer server(body_);
  fs::create_directories(ctx_.cache_dir / "tmp");
  ASSERT_TRUE(WriteFile(ctx_.cache_dir / "tmp" / (hex_ + ".part"), body_).ok());
  auto r = Fetch({server.Url(), hex_}, ctx_, opts_);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(*ReadFile(*r), body_);
  EXPECT_EQ(server.requests, 1);
}

TEST_F(DownloadCacheTest, StalePartIsRestartedFromZero) {
  TestHttpServer server(body_);
  fs::create_directories(ctx_.cache_dir / "tmp");
  ASSERT_TRUE(WriteFile(ctx_.cache_dir / "tmp" / (hex_ + ".part"), std::string(5000, 'x')).ok());
  auto r = Fetch({server.Url(), hex_}, ctx_, opts_);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(*ReadFile(*r), body_);
  EXPECT_EQ(server.requests, 2);
}

TEST_F(DownloadCacheTest, Retries500ThenSucceeds) {
  TestHttpServer server(body_);
  server.fail_500 = 2;
  auto r = Fetch({server.Url(), hex_}, ctx_, opts_);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(server.requests, 3);
  EXPECT_EQ(*ReadFile(*r), body_);
}

TEST_F(DownloadCacheTest, GivesUpAfterMaxAttempts) {
  TestHttpServer server(body_);
  server.fail_500 = 100;
  opts_.max_attempts = 3;
  auto r = Fetch({server.Url(), hex_}, ctx_, opts_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNetwork);
  EXPECT_NE(r.error().message.find("HTTP 500"), std::string::npos) << r.error().message;
  EXPECT_EQ(server.requests, 3);
  EXPECT_FALSE(fs::exists(BlobPath(ctx_.cache_dir, hex_)));
}

TEST_F(DownloadCacheTest, NotFoundIsNotRetried) {
  TestHttpServer server(body_);
  server.status = 404;
  auto r = Fetch({server.Url("/missing.tar"), hex_}, ctx_, opts_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNetwork);
  EXPECT_EQ(r.error().message, "HTTP 404 for " + server.Url("/missing.tar"));
  EXPECT_EQ(server.requests, 1);
  EXPECT_FALSE(fs::exists(BlobPath(ctx_.cache_dir, hex_)));
  EXPECT_TRUE(Files(ctx_.cache_dir / "tmp").empty());
}

TEST_F(DownloadCacheTest, DigestMismatchLeavesNothingInTheCache) {
  TestHttpServer server(Body(7));  // serves other bytes than the recipe pins
  auto r = Fetch({server.Url(), hex_}, ctx_, opts_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kIntegrity);
  const std::string actual = ToHex(Sha256Of(Body(7)));
  EXPECT_EQ(r.error().message,
            "sha256 mismatch for " + server.Url() + ": expected " + hex_ + ", got " + actual);
  EXPECT_TRUE(Files(ctx_.cache_dir / "blobs" / "sha256").empty());
  EXPECT_TRUE(Files(ctx_.cache_dir / "tmp").empty());
}

TEST_F(DownloadCacheTest, RemoteUrlNeedsADigest) {
  TestHttpServer server(body_);
  auto r = Fetch({server.Url(), ""}, ctx_, opts_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInput);
  EXPECT_EQ(server.requests, 0);
  auto bad = Fetch({"ftp://127.0.0.1/x", hex_}, ctx_, opts_);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInput);
  EXPECT_NE(bad.error().message.find("ftp"), std::string::npos);
}

TEST_F(DownloadCacheTest, ConcurrentFetchesShareOneVerifiedFile) {
  TestHttpServer server(body_);
  server.delay_ms = 200;
  Result<fs::path> a = Error{}, b = Error{};
  std::thread t1([&] { a = Fetch({server.Url(), hex_}, ctx_, opts_); });
  std::thread t2([&] { b = Fetch({server.Url(), hex_}, ctx_, opts_); });
  t1.join();
  t2.join();
  ASSERT_TRUE(a.ok()) << a.error().ToString();
  ASSERT_TRUE(b.ok()) << b.error().ToString();
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(Files(ctx_.cache_dir / "blobs" / "sha256").size(), 1u);
  EXPECT_EQ(ToHex(*Sha256File(*a)), hex_);
  EXPECT_EQ(server.requests, 1);  // the second waited on the lock and found the blob
  EXPECT_TRUE(Files(ctx_.cache_dir / "tmp").empty());
}

TEST_F(DownloadCacheTest, FileUrlsWithAndWithoutDigest) {
  const fs::path src = dir_.path() / "input.bin";
  ASSERT_TRUE(WriteFile(src, body_).ok());
  ctx_.offline = true;  // file:// is not network
  auto pinned = Fetch({"file://" + src.string(), hex_}, ctx_, opts_);
  ASSERT_TRUE(pinned.ok()) << pinned.error().ToString();
  EXPECT_EQ(*pinned, BlobPath(ctx_.cache_dir, hex_));
  fs::remove(*pinned);
  auto unpinned = Fetch({"file://" + src.string(), ""}, ctx_, opts_);
  ASSERT_TRUE(unpinned.ok()) << unpinned.error().ToString();
  EXPECT_EQ(*unpinned, BlobPath(ctx_.cache_dir, hex_));
  auto missing = Fetch({"file://" + (dir_.path() / "nope").string(), ToHex(Sha256Of("other"))},
                       ctx_, opts_);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kInput);
}

TEST_F(DownloadCacheTest, VerifyLocalFile) {
  const fs::path src = dir_.path() / "local.tar";
  ASSERT_TRUE(WriteFile(src, "abc").ok());
  const std::string abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  auto ok = VerifyLocalFile(src, abc);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ToHex(*ok), abc);
  auto bad = VerifyLocalFile(src, hex_);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kIntegrity);
  EXPECT_EQ(bad.error().message,
            "sha256 mismatch for " + src.string() + ": expected " + hex_ + ", got " + abc);
}

TEST_F(DownloadCacheTest, AddBlobMovesAFileIntoTheCache) {
  const fs::path src = dir_.path() / "made.tar";
  ASSERT_TRUE(WriteFile(src, body_, 0600).ok());
  auto blob = AddBlob(src, ctx_);
  ASSERT_TRUE(blob.ok()) << blob.error().ToString();
  EXPECT_EQ(*blob, BlobPath(ctx_.cache_dir, hex_));
  EXPECT_FALSE(fs::exists(src));
  EXPECT_EQ(*ReadFile(*blob), body_);
}

TEST(DefaultCacheDir, FollowsXdg) {
  const char* old = std::getenv("XDG_CACHE_HOME");
  std::string saved = old ? old : "";
  ::setenv("XDG_CACHE_HOME", "/x/cache", 1);
  EXPECT_EQ(DefaultCacheDir(), fs::path("/x/cache/kiln"));
  if (old) ::setenv("XDG_CACHE_HOME", saved.c_str(), 1);
  else ::unsetenv("XDG_CACHE_HOME");
}

TEST(DefaultCacheDir, NoSharedFallbackWithoutHome) {
  const char* old_xdg = std::getenv("XDG_CACHE_HOME");
  const char* old_home = std::getenv("HOME");
  std::string xdg = old_xdg ? old_xdg : "", home = old_home ? old_home : "";
  ::unsetenv("XDG_CACHE_HOME");
  ::unsetenv("HOME");
  EXPECT_TRUE(DefaultCacheDir().empty());
  ::setenv("HOME", "relative", 1);
  EXPECT_TRUE(DefaultCacheDir().empty());
  if (old_xdg) ::setenv("XDG_CACHE_HOME", xdg.c_str(), 1);
  if (old_home) ::setenv("HOME", home.c_str(), 1);
  else ::unsetenv("HOME");
}

}  // namespace
}  // namespace kiln::sources
