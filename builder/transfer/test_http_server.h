// A tiny HTTP/1.1 file server on 127.0.0.1 for the download tests (a handler on the shared
// loopback server in builder/testing; link kiln_test_http_server). It serves one body for
// every path, honours "Range: bytes=N-", and can be told to misbehave: answer 500 a number of
// times, drop the connection half way once, answer a fixed status (404), or serve other bytes
// than the test expects.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>

#include "builder/testing/loopback_http_server.h"

namespace kiln::transfer::testing {

// Deterministic, incompressible-looking bytes (xorshift32) for download bodies.
inline std::string PseudoRandomBytes(std::size_t n, char salt = 0) {
  std::string s(n, '\0');
  std::uint32_t x = 2463534242u + static_cast<std::uint32_t>(salt);
  for (auto& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return s;
}

class TestHttpServer {
 public:
  explicit TestHttpServer(std::string body) : body_(std::move(body)) {}

  // Stops accepting and waits for the requests in flight (the destructor does it too).
  void Stop() { server_.Stop(); }

  std::string Url(const std::string& path = "/file.bin") const { return "http://" + server_.Host() + path; }

  // Misbehaviour switches (set before the request).
  std::atomic<int> fail_500{0};          // answer 500 this many times
  std::atomic<bool> drop_half_once{false};
  std::atomic<int> status{200};          // e.g. 404: every request gets this status
  std::atomic<int> delay_ms{0};          // pause before answering (concurrency tests)
  std::atomic<bool> ignore_range{false};  // answer every request with the whole body (200)
  // Bodies by request path ("/index.p7s"); a path not in it gets the constructor's body, or
  // 404 when the map is not empty. Fill it before the first request.
  std::map<std::string, std::string> files;

  // Observations.
  std::atomic<int> requests{0};
  std::atomic<long long> last_range_start{-1};
  std::atomic<int> range_requests{0};

 private:
  kiln::testing::HttpResponse Answer(const kiln::testing::HttpRequest& req) {
    ++requests;
    if (delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms.load()));
    const std::string* served = &body_;
    int missing = 0;
    if (!files.empty()) {
      const auto it = files.find(req.target);
      if (it != files.end()) served = &it->second;
      else missing = 404;
    }
    long long start = 0;
    auto pos = req.head.find("Range: bytes=");
    if (pos != std::string::npos) {
      start = std::atoll(req.head.c_str() + pos + 13);
      last_range_start = start;
      ++range_requests;
      if (ignore_range) start = 0;
    }
    kiln::testing::HttpResponse out;
    out.code = missing ? missing : status.load();
    if (fail_500 > 0) {
      --fail_500;
      out.code = 500;
    }
    const long long size = static_cast<long long>(served->size());
    if (out.code != 200) {
      out.reason = "Error";
      out.body = "error " + std::to_string(out.code) + "\n";
    } else if (start >= size && start > 0) {
      out.code = 416;
      out.reason = "Range Not Satisfiable";
      out.headers = "Content-Range: bytes */" + std::to_string(size) + "\r\n";
    } else {
      out.body = served->substr(static_cast<std::size_t>(start));
      if (start > 0) {
        out.code = 206;
        out.reason = "Partial Content";
        out.headers = "Content-Range: bytes " + std::to_string(start) + "-" + std::to_string(size - 1) + "/" +
                      std::to_string(size) + "\r\n";
      }
      if (drop_half_once.exchange(false)) out.send_body_bytes = out.body.size() / 2;
    }
    return out;
  }

  std::string body_;
  // Last: it starts answering on construction and is stopped first on destruction.
  kiln::testing::LoopbackHttpServer server_{[this](const kiln::testing::HttpRequest& r) { return Answer(r); }};
};

}  // namespace kiln::transfer::testing
