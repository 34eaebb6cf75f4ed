#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "builder/common/files.h"
#include "builder/file_server/http_request.h"
#include "builder/file_server/stream_file_server.h"

namespace kiln::file_server {
namespace {

namespace fs = std::filesystem;

TEST(HttpRequest, GetWithRange) {
  auto r = ParseRequestHead("GET /ch/index.p7s?x=1 HTTP/1.1\r\nHost: a\r\nrAnGe: bytes=10-19\r\n\r\n");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_FALSE(r->head_only);
  EXPECT_EQ(r->path, "ch/index.p7s");
  ASSERT_TRUE(r->range);
  EXPECT_EQ(*r->range, (ByteRange{10, 19}));
}

TEST(HttpRequest, HeadOpenRangeAndRoot) {
  auto r = ParseRequestHead("HEAD / HTTP/1.0\nRange: bytes=5-\n\n");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->head_only);
  EXPECT_EQ(r->path, "");
  EXPECT_EQ(*r->range, (ByteRange{5, std::nullopt}));
}

TEST(HttpRequest, UnusableRangesAreIgnored) {
  for (const char* h : {"bytes=-5", "bytes=5-2", "bytes=1-2,4-5", "items=1-2", "bytes=99999999999999999999-"}) {
    auto r = ParseRequestHead(std::string("GET /a HTTP/1.1\r\nRange: ") + h + "\r\n\r\n");
    ASSERT_TRUE(r.ok()) << h;
    EXPECT_FALSE(r->range) << h;
  }
}

TEST(HttpRequest, RefusesWhatIsNotAPlainFileFetch) {
  for (const char* h : {"POST /a HTTP/1.1\r\n\r\n", "GET /../etc/passwd HTTP/1.1\r\n\r\n", "GET /a/./b HTTP/1.1\r\n\r\n",
                        "GET /a//b HTTP/1.1\r\n\r\n", "GET /a%2e HTTP/1.1\r\n\r\n", "GET http://x/a HTTP/1.1\r\n\r\n",
                        "GET /a HTTP/2\r\n\r\n", "GET /a HTTP/1.1\r\nX: \x01\r\n\r\n", "GET /a HTTP/1.1\r\nnocolon\r\n\r\n",
                        "GET /a HTTP/1.1\r\n", "GET  /a HTTP/1.1\r\n\r\n", "GET /a HTTP/1.1\r\n\r\nextra"}) {
    EXPECT_FALSE(ParseRequestHead(h).ok()) << h;
  }
  EXPECT_FALSE(ParseRequestHead("GET /" + std::string(kMaxRequestHead, 'a') + " HTTP/1.1\r\n\r\n").ok());
}

TEST(HttpRequest, SatisfyClampsToTheFile) {
  EXPECT_FALSE(Satisfy({10, std::nullopt}, 10));
  auto r = Satisfy({4, 100}, 10);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->offset, 4u);
  EXPECT_EQ(r->length, 6u);
}

// Runs one request through a socket pair, as guestfwd's command sees it.
std::string Exchange(const fs::path& root, const std::string& request, std::string* log = nullptr) {
  int sv[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  ServeOptions o;
  o.read_timeout = std::chrono::milliseconds(2000);
  o.on_request = [log](const std::string& l) {
    if (log) *log = l;
  };
  std::thread server([&] {
    EXPECT_TRUE(ServeOneRequest(sv[1], sv[1], root, o).ok());
    ::close(sv[1]);
  });
  EXPECT_EQ(::write(sv[0], request.data(), request.size()), static_cast<ssize_t>(request.size()));
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(sv[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  server.join();
  ::close(sv[0]);
  return out;
}

class StreamServer : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = TempDir::Create();
    ASSERT_TRUE(t.ok());
    tmp_ = std::move(*t);
    root_ = tmp_.path() / "root";
    fs::create_directories(root_ / "sub");
    ASSERT_TRUE(WriteFile(root_ / "sub" / "file.bin", "0123456789").ok());
    ASSERT_TRUE(WriteFile(tmp_.path() / "secret", "outside").ok());
    fs::create_symlink(tmp_.path() / "secret", root_ / "link");
    fs::create_symlink(tmp_.path(), root_ / "dirlink");
  }
  TempDir tmp_;
  fs::path root_;
};

TEST_F(StreamServer, WholeFileAndRange) {
  std::string log;
  std::string whole = Exchange(root_, "GET /sub/file.bin HTTP/1.1\r\nHost: x\r\n\r\n", &log);
  EXPECT_TRUE(whole.starts_with("HTTP/1.1 200 OK\r\n")) << whole;
  EXPECT_NE(whole.find("Content-Length: 10\r\n"), std::string::npos);
  EXPECT_TRUE(whole.ends_with("\r\n\r\n0123456789"));
  EXPECT_EQ(log, "GET /sub/file.bin 200 10");
  std::string part = Exchange(root_, "GET /sub/file.bin HTTP/1.1\r\nRange: bytes=7-\r\n\r\n");
  EXPECT_TRUE(part.starts_with("HTTP/1.1 206 Partial Content\r\n")) << part;
  EXPECT_NE(part.find("Content-Range: bytes 7-9/10\r\n"), std::string::npos);
  EXPECT_TRUE(part.ends_with("\r\n\r\n789"));
  std::string head = Exchange(root_, "HEAD /sub/file.bin HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(head.ends_with("\r\n\r\n")) << head;
  EXPECT_NE(head.find("Content-Length: 10\r\n"), std::string::npos);
}

TEST_F(StreamServer, NothingOutsideTheDirectory) {
  EXPECT_TRUE(Exchange(root_, "GET /link HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404"));
  EXPECT_TRUE(Exchange(root_, "GET /sub HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404"));
  EXPECT_TRUE(Exchange(root_, "GET / HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404"));
  EXPECT_TRUE(Exchange(root_, "GET /../secret HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 400"));
  EXPECT_TRUE(Exchange(root_, "GET /missing HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404"));
  // A symlinked directory on the way, absolute and encoded forms.
  EXPECT_TRUE(Exchange(root_, "GET /dirlink/secret HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404"));
  EXPECT_TRUE(Exchange(root_, "GET //etc/passwd HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 400"));
  EXPECT_TRUE(Exchange(root_, "GET /%2e%2e/secret HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 400"));
  EXPECT_TRUE(Exchange(root_, "GET /sub/..%2fsecret HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 400"));
}

TEST_F(StreamServer, UnsatisfiableRange) {
  std::string r = Exchange(root_, "GET /sub/file.bin HTTP/1.1\r\nRange: bytes=10-\r\n\r\n");
  EXPECT_TRUE(r.starts_with("HTTP/1.1 416")) << r;
  EXPECT_NE(r.find("Content-Range: bytes */10\r\n"), std::string::npos);
}

TEST_F(StreamServer, IncompleteRequestTimesOut) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  ASSERT_EQ(::write(sv[0], "GET /a HT", 9), 9);
  ServeOptions o;
  o.read_timeout = std::chrono::milliseconds(100);
  EXPECT_TRUE(ServeOneRequest(sv[1], sv[1], root_, o).ok());
  ::shutdown(sv[1], SHUT_WR);
  char buf[64] = {};
  ssize_t n = ::read(sv[0], buf, sizeof buf - 1);
  EXPECT_GT(n, 0);
  EXPECT_TRUE(std::string(buf).starts_with("HTTP/1.1 400"));
  ::close(sv[0]);
  ::close(sv[1]);
}

// Audit regression (slowloris): the timeout applied to each byte, so a client sending one
// byte now and then held the server for up to kMaxRequestHead timeouts.
TEST_F(StreamServer, ADribblingClientTimesOutForTheWholeHead) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  std::atomic<bool> stop{false};
  std::thread client([&] {
    const std::string head = "GET /sub/file.bin HTTP/1.1\r\nX: ";
    ASSERT_EQ(::write(sv[0], head.data(), head.size()), static_cast<ssize_t>(head.size()));
    for (int i = 0; i < 100 && !stop; ++i) {  // at most 3 s
      if (::write(sv[0], "a", 1) != 1) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
    }
  });
  ServeOptions o;
  o.read_timeout = std::chrono::milliseconds(300);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(ServeOneRequest(sv[1], sv[1], root_, o).ok());
  const auto took = std::chrono::steady_clock::now() - start;
  stop = true;
  client.join();
  EXPECT_LT(took, std::chrono::milliseconds(1500));
  ::shutdown(sv[1], SHUT_WR);
  char buf[64] = {};
  EXPECT_GT(::read(sv[0], buf, sizeof buf - 1), 0);
  EXPECT_TRUE(std::string(buf).starts_with("HTTP/1.1 400")) << buf;
  ::close(sv[0]);
  ::close(sv[1]);
}

// Audit regression: a client that sent its request and then stopped reading held the server
// (one host process per guest connection) in a blocking write forever.
TEST_F(StreamServer, AClientThatStopsReadingTimesOut) {
  ASSERT_TRUE(WriteFile(root_ / "big.bin", std::string(8u << 20, 'b')).ok());
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  const std::string request = "GET /big.bin HTTP/1.1\r\n\r\n";
  ASSERT_EQ(::write(sv[0], request.data(), request.size()), static_cast<ssize_t>(request.size()));
  ServeOptions o;
  o.write_timeout = std::chrono::milliseconds(200);
  std::atomic<bool> done{false};
  bool ok = true;
  std::thread server([&] {
    ok = ServeOneRequest(sv[1], sv[1], root_, o).ok();
    done = true;
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (!done && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const bool timed_out = done;
  // A server still writing (without the fix) is released by reading what it sends.
  char buf[1 << 16];
  while (!done) {
    pollfd p = {sv[0], POLLIN, 0};
    if (::poll(&p, 1, 10) > 0 && ::read(sv[0], buf, sizeof buf) <= 0) break;
  }
  server.join();
  EXPECT_TRUE(timed_out) << "the server was still writing after 3 s";
  EXPECT_FALSE(ok);
  ::close(sv[0]);
  ::close(sv[1]);
}

}  // namespace
}  // namespace kiln::file_server
