// A tiny HTTP/1.1 file server on 127.0.0.1 for the download tests (header-only, test use
// only; download and download-cache tests). It serves one body for every path, honours "Range: bytes=N-", and can be told to
// misbehave: answer 500 a number of times, drop the connection half way once, answer a fixed
// status (404), or serve other bytes than the test expects.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

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
  explicit TestHttpServer(std::string body) : body_(std::move(body)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;  // the kernel picks a free port
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 16) != 0)
      std::abort();
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }
  ~TestHttpServer() { Stop(); }
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  void Stop() {
    if (stopping_.exchange(true)) return;
    accept_thread_.join();
    std::vector<std::thread> workers;
    {
      std::lock_guard<std::mutex> l(mu_);
      workers.swap(workers_);
    }
    for (auto& w : workers) w.join();
    ::close(listen_fd_);
  }

  std::string Url(const std::string& path = "/file.bin") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

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
  void AcceptLoop() {
    while (!stopping_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      std::lock_guard<std::mutex> l(mu_);
      workers_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  static void SendAll(int fd, const char* data, std::size_t len) {
    while (len > 0) {
      ssize_t n = ::send(fd, data, len, MSG_NOSIGNAL);
      if (n <= 0) return;
      data += n;
      len -= static_cast<std::size_t>(n);
    }
  }

  void Serve(int fd) {
    std::string req;
    char buf[4096];
    while (req.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) {
        ::close(fd);
        return;
      }
      req.append(buf, static_cast<std::size_t>(n));
    }
    ++requests;
    if (delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms.load()));
    const std::string* served = &body_;
    int missing = 0;
    if (!files.empty()) {
      const auto sp1 = req.find(' '), sp2 = req.find(' ', sp1 + 1);
      const auto it = files.find(req.substr(sp1 + 1, sp2 - sp1 - 1));
      if (it != files.end()) served = &it->second;
      else missing = 404;
    }
    long long start = 0;
    auto pos = req.find("Range: bytes=");
    if (pos != std::string::npos) {
      start = std::atoll(req.c_str() + pos + 13);
      last_range_start = start;
      ++range_requests;
      if (ignore_range) start = 0;
    }
    std::string head;
    std::string body;
    int code = missing ? missing : status.load();
    if (fail_500 > 0) {
      --fail_500;
      code = 500;
    }
    bool drop = false;
    const long long size = static_cast<long long>(served->size());
    if (code != 200) {
      body = "error " + std::to_string(code) + "\n";
      head = "HTTP/1.1 " + std::to_string(code) + " Error\r\n";
    } else if (start >= size && start > 0) {
      head = "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */" + std::to_string(size) + "\r\n";
    } else {
      body = served->substr(static_cast<std::size_t>(start));
      head = start > 0 ? "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes " + std::to_string(start) +
                             "-" + std::to_string(size - 1) + "/" + std::to_string(size) + "\r\n"
                       : "HTTP/1.1 200 OK\r\n";
      drop = drop_half_once.exchange(false);
    }
    head += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
    SendAll(fd, head.data(), head.size());
    SendAll(fd, body.data(), drop ? body.size() / 2 : body.size());
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
  }

  std::string body_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;
  std::mutex mu_;
  std::vector<std::thread> workers_;
};

}  // namespace kiln::transfer::testing
