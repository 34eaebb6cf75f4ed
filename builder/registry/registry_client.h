// An HTTP client for one registry (OCI distribution API) on top of libcurl: retries with
// exponential backoff on connection errors and 408/429/5xx, and the 401 dance (Basic, or a
// Bearer token fetched from the challenge's realm, with the user's credentials if any).
// Request bodies come from memory or stream from a file; response bodies go to memory or
// to a caller's sink (so blobs are hashed while they stream). Used by push, pull, cosign.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "builder/common/result.h"
#include "builder/registry/credentials.h"

namespace kiln::registry {

struct RegistryOptions {
  // Allows plain http to loopback registries and disables TLS certificate checks.
  bool insecure = false;
  std::filesystem::path auth_file;  // empty: $REGISTRY_AUTH_FILE or ~/.docker/config.json
  int max_attempts = 5;             // per request, for retryable failures
  std::chrono::milliseconds retry_delay{250};  // doubled after each failed attempt
};

struct HttpRequest {
  std::string method = "GET";              // GET | HEAD | POST | PUT
  std::string url;                         // "/v2/..." (on this registry) or absolute
  std::vector<std::string> headers;        // "Name: value"
  std::string body;                        // request body, unless body_file is set
  std::filesystem::path body_file;         // stream the request body from this file
  bool follow_redirects = false;           // GET/HEAD of blobs may redirect to storage
  // Where a 2xx response body goes: begin_sink() before each attempt, sink() per chunk (false
  // aborts). Without a sink the body is collected in HttpResponse::body.
  std::function<void()> begin_sink;
  std::function<bool(std::string_view)> sink;
};

struct HttpResponse {
  long status = 0;
  std::string body;                           // error bodies, or the body without a sink
  std::map<std::string, std::string> headers; // keys lowercase, last response only
  std::string url;                            // effective URL (after redirects)
  std::string Header(const std::string& lowercase_name) const;
};

class RegistryClient {
 public:
  static Result<RegistryClient> Create(const std::string& registry, const RegistryOptions& opts);

  // Sends with retries and authentication. Returns any final HTTP status except 401 (kAuth
  // error) and retryable failures once attempts are exhausted (kNetwork error).
  Result<HttpResponse> Send(const HttpRequest& req);

  // Send, then a kNetwork error naming the request unless the status is one of `expected`
  // (404 for HEAD is left to the caller by passing it in `expected`).
  Result<HttpResponse> SendExpect(const HttpRequest& req, std::initializer_list<long> expected,
                                  const std::string& what);

  const std::string& registry() const { return registry_; }
  const std::string& base_url() const { return base_url_; }

 private:
  RegistryClient(std::string registry, std::string base_url, RegistryOptions opts)
      : registry_(std::move(registry)), base_url_(std::move(base_url)), opts_(std::move(opts)) {}
  Result<HttpResponse> PerformOnce(const HttpRequest& req, const std::string& url,
                                   const std::string& authorization);
  Result<HttpResponse> SendWithRetries(const HttpRequest& req, const std::string& url,
                                       const std::string& authorization);
  Status Authenticate(const HttpResponse& unauthorized, const std::string& what);

  std::string registry_;
  std::string base_url_;  // "https://host:port"
  RegistryOptions opts_;
  std::string authorization_;  // "Basic ..." / "Bearer ..." once a challenge was answered
};

// Resolves a (possibly relative) Location against base, via the curl URL API.
Result<std::string> ResolveUrl(const std::string& base, const std::string& location);
// Appends "key=value" to the URL's query (keeping an existing "?_state=..."), via
// curl_url_set(CURLU_APPENDQUERY).
Result<std::string> AppendQuery(const std::string& url, const std::string& key_value);

}  // namespace kiln::registry
