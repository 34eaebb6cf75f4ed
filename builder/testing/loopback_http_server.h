// A loopback HTTP/1.1 server for unit tests and fuzz harnesses (test-only library
// kiln_test_http_server, never linked into kiln). It listens on 127.0.0.1 on a port the kernel
// picks, reads each request (head and Content-Length body), asks the handler for the answer
// and closes the connection. Each connection is served on its own thread; a handler that
// keeps state guards it. The download test server (transfer/test_http_server.h) and the fake
// OCI registry (registry/fake_registry.h) are handlers on top of it.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace kiln::testing {

struct HttpRequest {
  std::string method;  // "GET"
  std::string target;  // "/v2/app/blobs/sha256:...?x=y", as sent
  std::string head;    // the request line and headers, without the blank line
  std::string body;
  // The value of header `name` (lower case), leading blanks removed; "" when absent.
  std::string Header(std::string_view name) const;
};

struct HttpResponse {
  int code = 200;
  std::string reason = "OK";
  std::string headers;                              // extra header lines, each ending in "\r\n"
  std::string body;                                 // Content-Length is always the whole body's size
  bool head_only = false;                           // a HEAD answer: no body bytes after the head
  std::size_t send_body_bytes = std::string::npos;  // fewer: the connection drops mid-body
};

class LoopbackHttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  explicit LoopbackHttpServer(Handler handler);
  ~LoopbackHttpServer();
  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  // Stops accepting and waits for the connections in flight (the destructor does it too).
  void Stop();
  int port() const { return port_; }
  std::string Host() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  void AcceptLoop();
  void Serve(int fd);

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;
  std::mutex mu_;
  std::vector<std::thread> workers_;
};

}  // namespace kiln::testing
