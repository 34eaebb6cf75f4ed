// An in-memory OCI registry on 127.0.0.1 for the registry unit tests (a handler on the shared
// loopback server in builder/testing; link kiln_test_http_server): blobs (HEAD/GET, POST+PUT
// ?digest= uploads with a relative Location carrying a query), manifests (PUT/GET by tag or
// digest). Switches make it misbehave: answer 500 to the next N requests of a method, require
// Basic auth, or refuse everything with 401, or name another token realm. Tests fill `blobs`
// and `manifests` directly to serve hostile content.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "builder/common/sha256.h"
#include "builder/testing/loopback_http_server.h"

namespace kiln::registry::testing {

class FakeRegistry {
 public:
  FakeRegistry() = default;
  FakeRegistry(const FakeRegistry&) = delete;
  FakeRegistry& operator=(const FakeRegistry&) = delete;

  std::string Host() const { return server_.Host(); }

  // Misbehaviour (set before the requests).
  std::string fail_method;             // e.g. "PUT": the next fail_count requests of it get 500
  int fail_count = 0;
  std::string basic_auth;              // non-empty: require "Authorization: Basic <this>"
  bool always_401 = false;
  std::string bearer_token;            // non-empty: token auth via GET /token (Basic basic_auth if set)
  std::string token_realm;             // the challenge's realm (default: http://<Host()>/token)

  // Observations (read after the requests; requests are answered one at a time).
  int blob_uploads = 0;
  int requests_of(const std::string& method) {
    std::lock_guard<std::mutex> l(mu_);
    return counts_[method];
  }
  std::map<std::string, std::string> blobs;      // digest -> bytes
  std::map<std::string, std::string> manifests;  // tag or digest -> bytes
  std::map<std::string, std::string> manifest_types;

 private:
  using Response = kiln::testing::HttpResponse;

  Response Serve(const kiln::testing::HttpRequest& req) {
    std::lock_guard<std::mutex> l(mu_);
    ++counts_[req.method];
    return Handle(req);
  }

  static Response Reply(int code, std::string extra, std::string body, bool head_only = false) {
    Response r;
    r.code = code;
    r.reason = "X";
    r.headers = std::move(extra);
    r.body = std::move(body);
    r.head_only = head_only;
    return r;
  }

  Response Handle(const kiln::testing::HttpRequest& req) {
    const std::string &method = req.method, &target = req.target, &body = req.body;
    if (method == fail_method && fail_count > 0) {
      --fail_count;
      return Reply(500, "", "{\"errors\":[{\"code\":\"UNKNOWN\"}]}");
    }
    std::string auth = req.Header("authorization");
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
        manifest_types[name] = req.Header("content-type");
        return Reply(201, "Docker-Content-Digest: " + digest + "\r\n", "");
      }
      auto it = manifests.find(name);
      if (it == manifests.end()) return Reply(404, "", "{}", method == "HEAD");
      return Reply(200, "Docker-Content-Digest: sha256:" + ToHex(Sha256Of(it->second)) + "\r\n", it->second,
                   method == "HEAD");
    }
    return Reply(404, "", "{}");
  }

  int upload_id_ = 0;
  std::mutex mu_;  // one request at a time: the maps above are not guarded otherwise
  std::map<std::string, int> counts_;
  // Last: it starts answering on construction and is stopped first on destruction.
  kiln::testing::LoopbackHttpServer server_{[this](const kiln::testing::HttpRequest& r) { return Serve(r); }};
};

}  // namespace kiln::registry::testing
