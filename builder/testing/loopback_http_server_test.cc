#include "builder/testing/loopback_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include "builder/common/unique_fd.h"

namespace kiln::testing {
namespace {

// One raw request over a fresh connection; everything the server sent back.
std::string Exchange(int port, const std::string& request) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return "connect failed";
  ::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd.get(), buf, sizeof buf, 0)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  return out;
}

TEST(LoopbackHttpServer, PassesTheRequestAndFramesTheAnswer) {
  HttpRequest seen;
  LoopbackHttpServer server([&](const HttpRequest& r) {
    seen = r;
    HttpResponse out;
    out.code = 201;
    out.reason = "Created";
    out.headers = "X-Kind: test\r\n";
    out.body = "done";
    return out;
  });
  const std::string reply =
      Exchange(server.port(), "PUT /v2/x?digest=a HTTP/1.1\r\nHost: h\r\nCONTENT-length:  5\r\n\r\nhello");
  server.Stop();
  EXPECT_EQ(seen.method, "PUT");
  EXPECT_EQ(seen.target, "/v2/x?digest=a");
  EXPECT_EQ(seen.body, "hello");
  EXPECT_EQ(seen.Header("host"), "h");
  EXPECT_EQ(seen.Header("missing"), "");
  EXPECT_EQ(reply, "HTTP/1.1 201 Created\r\nX-Kind: test\r\nContent-Length: 4\r\nConnection: close\r\n\r\ndone");
}

TEST(LoopbackHttpServer, HeadOnlyAndTruncatedBodies) {
  LoopbackHttpServer server([](const HttpRequest& r) {
    HttpResponse out;
    out.body = "0123456789";
    out.head_only = r.method == "HEAD";
    if (r.method == "GET") out.send_body_bytes = 4;
    return out;
  });
  EXPECT_EQ(Exchange(server.port(), "HEAD / HTTP/1.1\r\n\r\n"),
            "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(Exchange(server.port(), "GET / HTTP/1.1\r\n\r\n"),
            "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\n0123");
}

}  // namespace
}  // namespace kiln::testing
