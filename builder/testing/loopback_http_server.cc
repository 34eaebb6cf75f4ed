#include "builder/testing/loopback_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "builder/common/unique_fd.h"

namespace kiln::testing {
namespace {

void SendAll(int fd, const char* data, std::size_t len) {
  while (len > 0) {
    ssize_t n = ::send(fd, data, len, MSG_NOSIGNAL);
    if (n <= 0) return;
    data += n;
    len -= static_cast<std::size_t>(n);
  }
}

}  // namespace

std::string HttpRequest::Header(std::string_view name) const {
  std::string lower;
  for (char c : head) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto pos = lower.find("\r\n" + std::string(name) + ":");
  if (pos == std::string::npos) return {};
  pos += name.size() + 3;
  auto end = head.find("\r\n", pos);
  std::string v = head.substr(pos, end - pos);
  while (!v.empty() && v.front() == ' ') v.erase(0, 1);
  return v;
}

LoopbackHttpServer::LoopbackHttpServer(Handler handler) : handler_(std::move(handler)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;  // the kernel picks a free port
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 16) != 0)
    std::abort();
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  accept_thread_ = std::thread([this] { AcceptLoop(); });
}

LoopbackHttpServer::~LoopbackHttpServer() { Stop(); }

void LoopbackHttpServer::Stop() {
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

void LoopbackHttpServer::AcceptLoop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> l(mu_);
    workers_.emplace_back([this, fd] { Serve(fd); });
  }
}

void LoopbackHttpServer::Serve(int raw_fd) {
  UniqueFd fd(raw_fd);
  std::string req;
  char buf[65536];
  while (req.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n <= 0) return;
    req.append(buf, static_cast<std::size_t>(n));
  }
  HttpRequest request;
  const auto head_end = req.find("\r\n\r\n");
  request.head = req.substr(0, head_end);
  request.body = req.substr(head_end + 4);
  const auto want = static_cast<std::size_t>(std::atoll(request.Header("content-length").c_str()));
  while (request.body.size() < want) {
    ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n <= 0) break;
    request.body.append(buf, static_cast<std::size_t>(n));
  }
  const auto sp1 = request.head.find(' ');
  request.method = request.head.substr(0, sp1);
  if (sp1 != std::string::npos) {
    const auto sp2 = request.head.find(' ', sp1 + 1);
    request.target = request.head.substr(sp1 + 1, sp2 == std::string::npos ? std::string::npos : sp2 - sp1 - 1);
  }

  const HttpResponse r = handler_(request);
  const std::string head = "HTTP/1.1 " + std::to_string(r.code) + " " + r.reason + "\r\n" + r.headers +
                           "Content-Length: " + std::to_string(r.body.size()) + "\r\nConnection: close\r\n\r\n";
  SendAll(fd.get(), head.data(), head.size());
  if (!r.head_only) SendAll(fd.get(), r.body.data(), std::min(r.send_body_bytes, r.body.size()));
  ::shutdown(fd.get(), SHUT_RDWR);
}

}  // namespace kiln::testing
