#include "builder/transfer/download.h"

#include <gtest/gtest.h>

#include "builder/transfer/test_http_server.h"

namespace kiln::transfer {
namespace {

using testing::TestHttpServer;

std::string Body() { return testing::PseudoRandomBytes(1 << 20); }

DownloadOptions Fast() {
  DownloadOptions o;
  o.retry = {4, std::chrono::milliseconds(5), std::chrono::milliseconds(20)};
  return o;
}

// Counts restarts so the tests can tell a resume from a start over.
class CountingSink : public StringSink {
 public:
  Status Restart() override {
    ++restarts;
    return StringSink::Restart();
  }
  int restarts = 0;
};

TEST(Download, WholeBody) {
  TestHttpServer server(Body());
  StringSink sink;
  auto n = Download(server.Url(), 0, sink, Fast());
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(*n, Body().size());
  EXPECT_EQ(sink.body, Body());
}

TEST(Download, ResumesAfterADroppedConnection) {
  TestHttpServer server(Body());
  server.drop_half_once = true;
  CountingSink sink;
  auto n = Download(server.Url(), 0, sink, Fast());
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(sink.body, Body());
  EXPECT_EQ(server.range_requests.load(), 1);
  EXPECT_EQ(server.last_range_start.load(), static_cast<long long>(Body().size() / 2));
  EXPECT_EQ(sink.restarts, 0);
}

TEST(Download, ContinuesBehindWhatTheSinkHolds) {
  TestHttpServer server(Body());
  StringSink sink;
  sink.body = Body().substr(0, 1000);
  auto n = Download(server.Url(), 1000, sink, Fast());
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(sink.body, Body());
  EXPECT_EQ(server.last_range_start.load(), 1000);
}

TEST(Download, AServerIgnoringTheRangeMakesTheSinkStartOver) {
  TestHttpServer server(Body());
  server.ignore_range = true;
  CountingSink sink;
  sink.body = "stale bytes";
  auto n = Download(server.Url(), sink.body.size(), sink, Fast());
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(sink.restarts, 1);
  EXPECT_EQ(sink.body, Body());
}

TEST(Download, RetriesTransientStatusesThenGivesUp) {
  TestHttpServer server(Body());
  server.fail_500 = 2;
  StringSink sink;
  ASSERT_TRUE(Download(server.Url(), 0, sink, Fast()).ok());
  EXPECT_EQ(server.requests.load(), 3);

  TestHttpServer broken(Body());
  broken.fail_500 = 100;
  int retries = 0;
  DownloadOptions o = Fast();
  o.on_retry = [&](const Error&) { ++retries; };
  StringSink none;
  auto r = Download(broken.Url(), 0, none, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNetwork);
  EXPECT_NE(r.error().message.find("gave up after 4 attempts"), std::string::npos) << r.error().message;
  EXPECT_EQ(retries, 3);
  EXPECT_TRUE(none.body.empty());  // error bodies are not content
}

TEST(Download, PermanentStatusFailsAtOnce) {
  TestHttpServer server(Body());
  server.status = 404;
  StringSink sink;
  auto r = Download(server.Url(), 0, sink, Fast());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("HTTP 404"), std::string::npos);
  EXPECT_EQ(server.requests.load(), 1);
}

TEST(Download, MaxBytesBoundsTheBody) {
  TestHttpServer server(Body());
  DownloadOptions o = Fast();
  o.max_bytes = 4096;
  StringSink sink;
  auto r = Download(server.Url(), 0, sink, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kIntegrity);
  EXPECT_LE(sink.body.size(), 4096u);
}

TEST(Download, RefusesOtherSchemes) {
  StringSink sink;
  auto r = Download("ftp://127.0.0.1/x", 0, sink, Fast());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInput);
}

TEST(RetryRule, StatusesAndBackoff) {
  for (long s : {408L, 429L, 500L, 502L, 503L, 504L}) EXPECT_TRUE(IsRetryableStatus(s)) << s;
  for (long s : {200L, 206L, 400L, 401L, 403L, 404L, 416L, 501L, 505L}) EXPECT_FALSE(IsRetryableStatus(s)) << s;
  EXPECT_TRUE(IsRetryableCurlCode(CURLE_COULDNT_CONNECT));
  EXPECT_TRUE(IsRetryableCurlCode(CURLE_PARTIAL_FILE));
  EXPECT_FALSE(IsRetryableCurlCode(CURLE_PEER_FAILED_VERIFICATION));
  EXPECT_FALSE(IsRetryableCurlCode(CURLE_URL_MALFORMAT));
  RetryPolicy p{5, std::chrono::milliseconds(100), std::chrono::milliseconds(350)};
  EXPECT_EQ(BackoffDelay(p, 1).count(), 100);
  EXPECT_EQ(BackoffDelay(p, 2).count(), 200);
  EXPECT_EQ(BackoffDelay(p, 3).count(), 350);
  EXPECT_EQ(BackoffDelay(p, 60).count(), 350);
}

}  // namespace
}  // namespace kiln::transfer
