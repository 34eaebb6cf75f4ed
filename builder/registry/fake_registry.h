// An in-memory OCI registry on 127.0.0.1 for the registry unit tests (header-only, test use
// only): blobs (HEAD/GET, POST+PUT ?digest= uploads with a relative Location carrying a
// query), manifests (PUT/GET by tag or digest). Switches make it misbehave: answer 500 to
// the next N requests of a method, require Basic auth, or refuse everything with 401, or name
// another token realm. Tests fill `blobs` and `manifests` directly to serve hostile content.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "builder/common/sha256.h"

namespace kiln::registry::testing {

class FakeRegistry {
 public:
  FakeRegistry() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 16) != 0)
      std::abort();
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~FakeRegistry() {
    stopping_ = true;
    thread_.join();
    ::close(listen_fd_);
  }
  FakeRegistry(const FakeRegistry&) = delete;
  FakeRegistry& operator=(const FakeRegistry&) = delete;

  std::string Host() const { return "127.0.0.1:" + std::to_string(port_); }

  // Misbehaviour (set before the requests).
  std::string fail_method;             // e.g. "PUT": the next fail_count requests of it get 500
  int fail_count = 0;
  std::string basic_auth;              // non-empty: require "Authorization: Basic <this>"
  bool always_401 = false;
  std::string bearer_token;            // non-empty: token auth via GET /token (Basic basic_auth if set)
  std::string token_realm;             // the challenge's realm (default: http://<Host()>/token)

  // Observations (read after the requests; the server is single-threaded).
  int blob_uploads = 0;
  int requests_of(const std::string& method) {
    std::lock_guard<std::mutex> l(mu_);
    return counts_[method];
  }
  std::map<std::string, std::string> blobs;      // digest -> bytes
  std::map<std::string, std::string> manifests;  // tag or digest -> bytes
  std::map<std::string, std::string> manifest_types;

 private:
  void Loop() {
    while (!stopping_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) Serve(fd);
    }
  }

  static std::string HeaderValue(const std::string& head, const std::string& name) {
    std::string lower;
    for (char c : head) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto pos = lower.find("\r\n" + name + ":");
    if (pos == std::string::npos) return {};
    pos += name.size() + 3;
    auto end = head.find("\r\n", pos);
    std::string v = head.substr(pos, end - pos);
    while (!v.empty() && v.front() == ' ') v.erase(0, 1);
    return v;
  }

  void Serve(int fd) {
    std::string req;
    char buf[65536];
    while (req.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return (void)::close(fd);
      req.append(buf, static_cast<std::size_t>(n));
    }
    auto head_end = req.find("\r\n\r\n");
    std::string head = req.substr(0, head_end);
    std::string body = req.substr(head_end + 4);
    std::size_t want = static_cast<std::size_t>(std::atoll(HeaderValue(head, "content-length").c_str()));
    while (body.size() < want) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      body.append(buf, static_cast<std::size_t>(n));
    }
    std::string method = head.substr(0, head.find(' '));
    std::string target = head.substr(method.size() + 1, head.find(' ', method.size() + 1) - method.size() - 1);
    {
      std::lock_guard<std::mutex> l(mu_);
      ++counts_[method];
    }
    std::string out = Handle(method, target, head, body);
    std::size_t off = 0;
    while (off < out.size()) {
      ssize_t n = ::send(fd, out.data() + off, out.size() - off, MSG_NOSIGNAL);
      if (n <= 0) break;
      off += static_cast<std::size_t>(n);
    }
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
  }

  static std::string Reply(int code, const std::string& extra, const std::string& body, bool head_only = false) {
    return "HTTP/1.1 " + std::to_string(code) + " X\r\n" + extra + "Content-Length: " + std::to_string(body.size()) +
           "\r\nConnection: close\r\n\r\n" + (head_only ? "" : body);
  }

  std::string Handle(const std::string& method, const std::string& target, const std::string& head,
                     const std::string& body) {
    if (method == fail_method && fail_count > 0) {
      --fail_count;
      return Reply(500, "", "{\"errors\":[{\"code\":\"UNKNOWN\"}]}");
    }
    std::string auth = HeaderValue(head, "authorization");
    if (!bearer_token.empty()) {
      if (target.rfind("/token?", 0) == 0) {
        if (target.find("scope=repository%3aapp%3apull%2cpush") == std::string::npos &&
            target.find("scope=repository:app:pull,push") == std::string::npos)
          return Reply(400, "", "scope " + target);
        if (!basic_auth.empty() && auth != "Basic " + basic_auth) return Reply(401, "", "{}");
        return Reply(200, "", "{\"token\":\"" + bearer_token + "\"}");
      }
      if (auth != "Bearer " + bearer_token)
        return Reply(401, "WWW-Authenticate: Bearer realm=\"" +
                              (token_realm.empty() ? "http://" + Host() + "/token" : token_realm) +
                              "\",service=\"fake\",scope=\"repository:app:pull,push\"\r\n", "{}");
    } else if (always_401 || (!basic_auth.empty() && auth != "Basic " + basic_auth))
      return Reply(401, "WWW-Authenticate: Basic realm=\"fake\"\r\n", "{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}");
    std::string path = target.substr(0, target.find('?'));
    std::string query = target.find('?') == std::string::npos ? "" : target.substr(target.find('?') + 1);
    auto blobs_at = path.find("/blobs/");
    auto manifests_at = path.find("/manifests/");
    if (method == "POST" && path.ends_with("/blobs/uploads/"))
      return Reply(202, "Location: " + path + "u" + std::to_string(++upload_id_) + "?_state=abc\r\n", "");
    if (method == "PUT" && path.find("/blobs/uploads/") != std::string::npos) {
      if (query.find("_state=abc") == std::string::npos) return Reply(400, "", "lost _state");
      auto d = query.find("digest=");
      std::string digest = d == std::string::npos ? "" : query.substr(d + 7);
      if (auto amp = digest.find('&'); amp != std::string::npos) digest.resize(amp);
      if (auto enc = digest.find("%3A"); enc != std::string::npos) digest.replace(enc, 3, ":");
      if (digest != "sha256:" + ToHex(Sha256Of(body))) return Reply(400, "", "DIGEST_INVALID");
      blobs[digest] = body;
      ++blob_uploads;
      return Reply(201, "", "");
    }
    if (blobs_at != std::string::npos && (method == "HEAD" || method == "GET")) {
      auto it = blobs.find(path.substr(blobs_at + 7));
      if (it == blobs.end()) return Reply(404, "", "{}", method == "HEAD");
      return Reply(200, "", it->second, method == "HEAD");
    }
    if (manifests_at != std::string::npos) {
      std::string name = path.substr(manifests_at + 11);
      if (method == "PUT") {
        std::string digest = "sha256:" + ToHex(Sha256Of(body));
        manifests[name] = manifests[digest] = body;
        manifest_types[name] = HeaderValue(head, "content-type");
        return Reply(201, "Docker-Content-Digest: " + digest + "\r\n", "");
      }
      auto it = manifests.find(name);
      if (it == manifests.end()) return Reply(404, "", "{}", method == "HEAD");
      return Reply(200, "Docker-Content-Digest: sha256:" + ToHex(Sha256Of(it->second)) + "\r\n", it->second,
                   method == "HEAD");
    }
    return Reply(404, "", "{}");
  }

  int listen_fd_ = -1;
  int port_ = 0;
  int upload_id_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::mutex mu_;
  std::map<std::string, int> counts_;
};

}  // namespace kiln::registry::testing
