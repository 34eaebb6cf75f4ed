#include "builder/registry/registry_client.h"

#include <cctype>
#include <cstdio>
#include <memory>
#include <thread>

#include <nlohmann/json.hpp>

#include "builder/common/unique_file.h"
#include "builder/registry/descriptor.h"
#include "builder/registry/reference.h"
#include "builder/transfer/curl_handle.h"
#include "builder/transfer/retry.h"

namespace kiln::registry {

namespace {

using transfer::CurlEasy;
using transfer::CurlSlist;
using transfer::CurlUrl;

// Where the request body comes from during one attempt.
struct BodySource {
  std::string_view memory;
  std::size_t offset = 0;
  std::FILE* file = nullptr;
};

size_t ReadBody(char* buf, size_t size, size_t n, void* user) {
  auto* src = static_cast<BodySource*>(user);
  size_t want = size * n;
  if (src->file) return std::fread(buf, 1, want, src->file);
  size_t left = src->memory.size() - src->offset;
  size_t take = want < left ? want : left;
  std::copy_n(src->memory.data() + src->offset, take, buf);
  src->offset += take;
  return take;
}

struct ReceiveState {
  CURL* curl = nullptr;
  const HttpRequest* req = nullptr;
  HttpResponse* resp = nullptr;
  bool sink_failed = false;
};

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  auto* st = static_cast<ReceiveState*>(user);
  size_t len = size * n;
  long code = 0;
  curl_easy_getinfo(st->curl, CURLINFO_RESPONSE_CODE, &code);
  if (code >= 200 && code < 300 && st->req->sink) {
    if (!st->req->sink(std::string_view(data, len))) {
      st->sink_failed = true;
      return 0;
    }
    return len;
  }
  if (st->resp->body.size() < (64u << 20)) st->resp->body.append(data, len);
  return len;
}

std::string Trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

size_t ReceiveHeader(char* data, size_t size, size_t n, void* user) {
  auto* st = static_cast<ReceiveState*>(user);
  std::string line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {  // a new response (after a redirect or 100-continue)
    st->resp->headers.clear();
    st->resp->body.clear();
    return size * n;
  }
  auto colon = line.find(':');
  if (colon == std::string::npos) return size * n;
  std::string key = line.substr(0, colon);
  for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  st->resp->headers[key] = Trim(line.substr(colon + 1));
  return size * n;
}

// A short escaped excerpt of a response body for an error message: never the whole body, never
// raw control characters.
std::string Excerpt(const std::string& body) {
  std::string s = Trim(body.substr(0, 200));
  return s.empty() ? "" : ": " + EscapedExcerpt(s);
}

// The token realm must be https; http only with --insecure to a loopback registry whose realm
// is on loopback too (a file:// or other scheme would make curl read local files).
Status CheckRealm(const std::string& realm, const std::string& registry, bool insecure) {
  CurlUrl u(curl_url());
  auto bad = [&](const std::string& why) {
    return MakeError(ErrorCode::kAuth, "registry " + registry + ": token realm '" + EscapedExcerpt(realm) + "' " + why);
  };
  if (!u || curl_url_set(u.get(), CURLUPART_URL, realm.c_str(), 0) != CURLUE_OK) return bad("is not an URL");
  char* scheme = nullptr;
  char* host = nullptr;
  curl_url_get(u.get(), CURLUPART_SCHEME, &scheme, 0);
  curl_url_get(u.get(), CURLUPART_HOST, &host, 0);
  std::unique_ptr<char, decltype(&curl_free)> own_scheme(scheme, &curl_free), own_host(host, &curl_free);
  std::string sch = scheme ? scheme : "", h = host ? host : "";
  if (sch == "https") return OkStatus();
  if (sch == "http" && insecure && IsLoopbackRegistry(registry) && IsLoopbackRegistry(h)) return OkStatus();
  return bad(sch == "http" ? "is plain http (allowed only with --insecure on loopback)" : "is not https");
}

Result<std::string> UrlGet(CURLU* u) {
  char* out = nullptr;
  if (CURLUcode rc = curl_url_get(u, CURLUPART_URL, &out, 0); rc != CURLUE_OK)
    return MakeError(ErrorCode::kNetwork, std::string("cannot build an URL: ") + curl_url_strerror(rc));
  std::unique_ptr<char, decltype(&curl_free)> owned(out, &curl_free);
  return std::string(out);
}

}  // namespace

std::string HttpResponse::Header(const std::string& lowercase_name) const {
  auto it = headers.find(lowercase_name);
  return it == headers.end() ? std::string() : it->second;
}

Result<std::string> ResolveUrl(const std::string& base, const std::string& location) {
  CurlUrl u(curl_url());
  if (!u) return MakeError(ErrorCode::kNetwork, "cannot allocate an URL handle");
  if (CURLUcode rc = curl_url_set(u.get(), CURLUPART_URL, base.c_str(), 0); rc != CURLUE_OK)
    return MakeError(ErrorCode::kNetwork, "malformed URL '" + base + "': " + curl_url_strerror(rc));
  // A relative URL set on a handle that already holds one is resolved against it.
  if (CURLUcode rc = curl_url_set(u.get(), CURLUPART_URL, location.c_str(), 0); rc != CURLUE_OK)
    return MakeError(ErrorCode::kNetwork, "malformed Location '" + location + "': " + curl_url_strerror(rc));
  return UrlGet(u.get());
}

Result<std::string> AppendQuery(const std::string& url, const std::string& key_value) {
  CurlUrl u(curl_url());
  if (!u) return MakeError(ErrorCode::kNetwork, "cannot allocate an URL handle");
  if (CURLUcode rc = curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0); rc != CURLUE_OK)
    return MakeError(ErrorCode::kNetwork, "malformed URL '" + url + "': " + curl_url_strerror(rc));
  if (CURLUcode rc = curl_url_set(u.get(), CURLUPART_QUERY, key_value.c_str(), CURLU_APPENDQUERY);
      rc != CURLUE_OK)
    return MakeError(ErrorCode::kNetwork, "cannot add '" + key_value + "' to " + url + ": " + curl_url_strerror(rc));
  return UrlGet(u.get());
}

Result<RegistryClient> RegistryClient::Create(const std::string& registry, const RegistryOptions& opts) {
  // Plain http only where the user asked for it and the traffic never leaves the machine.
  std::string scheme = opts.insecure && IsLoopbackRegistry(registry) ? "http" : "https";
  return RegistryClient(registry, scheme + "://" + registry, opts);
}

Result<HttpResponse> RegistryClient::PerformOnce(const HttpRequest& req, const std::string& url,
                                                 const std::string& authorization) {
  KILN_ASSIGN_OR_RETURN(CurlEasy curl, transfer::NewCurlEasy());
  CURL* h = curl.get();
  HttpResponse resp;
  ReceiveState st{h, &req, &resp, false};
  BodySource src;
  UniqueFile file;
  curl_off_t body_size = static_cast<curl_off_t>(req.body.size());
  if (!req.body_file.empty()) {
    file.reset(std::fopen(req.body_file.c_str(), "rb"));
    if (!file) return MakeError(ErrorCode::kIo, "cannot open " + req.body_file.string());
    std::error_code ec;
    body_size = static_cast<curl_off_t>(std::filesystem::file_size(req.body_file, ec));
    if (ec) return MakeError(ErrorCode::kIo, "cannot stat " + req.body_file.string() + ": " + ec.message());
    src.file = file.get();
  } else {
    src.memory = req.body;
  }

  curl_slist* raw = nullptr;
  for (const auto& hd : req.headers) raw = curl_slist_append(raw, hd.c_str());
  raw = curl_slist_append(raw, "Expect:");  // no 100-continue round trip
  if (!authorization.empty()) raw = curl_slist_append(raw, ("Authorization: " + authorization).c_str());
  CurlSlist headers(raw);

  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  transfer::ApplyTransferDefaults(h, {});
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &st);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &ReceiveHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &st);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, &ReadBody);
  curl_easy_setopt(h, CURLOPT_READDATA, &src);
  // Only http(s), whatever a registry's Location or realm says; plain http only when insecure.
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, opts_.insecure ? "http,https" : "https");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, opts_.insecure ? "http,https" : "https");
  if (req.follow_redirects) {
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
  }
  if (opts_.insecure) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (req.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (req.method == "PUT") {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, body_size);
  } else if (req.method == "POST") {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, body_size);
  } else if (req.method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  }
  if (req.begin_sink) req.begin_sink();

  CURLcode rc = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp.status);
  char* eff = nullptr;
  curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &eff);
  resp.url = eff ? eff : url;
  if (st.sink_failed)
    return MakeError(ErrorCode::kIo, "cannot store the response of " + req.method + " " + url);
  if (rc != CURLE_OK) {
    Error e = MakeError(ErrorCode::kNetwork, "registry " + registry_ + ": " + req.method + " " + url + ": " +
                                                 curl_easy_strerror(rc));
    // Marks a transport failure the caller may retry.
    if (transfer::IsRetryableCurlCode(rc)) e.context.push_back("retryable");
    return e;
  }
  return resp;
}

Result<HttpResponse> RegistryClient::SendWithRetries(const HttpRequest& req, const std::string& url,
                                                     const std::string& authorization) {
  const int attempts = opts_.max_attempts < 1 ? 1 : opts_.max_attempts;
  for (int attempt = 1;; ++attempt) {
    auto r = PerformOnce(req, url, authorization);
    bool retry = false;
    std::string why;
    if (!r.ok()) {
      const auto& ctx = r.error().context;
      retry = !ctx.empty() && ctx.back() == "retryable";
      if (!retry) return r;
      why = r.error().message;
    } else if (transfer::IsRetryableStatus(r->status)) {
      retry = true;
      why = "registry " + registry_ + ": " + req.method + " " + url + ": HTTP " + std::to_string(r->status) +
            Excerpt(r->body);
    } else {
      return r;
    }
    if (attempt >= attempts)
      return MakeError(ErrorCode::kNetwork, why + " (gave up after " + std::to_string(attempts) + " attempts)");
    // The shared rule (transfer/retry.h): doubling from retry_delay, capped.
    std::this_thread::sleep_for(transfer::BackoffDelay({attempts, opts_.retry_delay, std::chrono::milliseconds(8000)}, attempt));
  }
}

Status RegistryClient::Authenticate(const HttpResponse& unauthorized, const std::string& what) {
  KILN_ASSIGN_OR_RETURN(auto creds, LoadCredentials(registry_, opts_.auth_file));
  const std::string where = AuthFilePath(opts_.auth_file).string();
  auto refuse = [&](const std::string& why) {
    return MakeError(ErrorCode::kAuth, "authentication to registry " + registry_ + " failed (" + what + "): " + why);
  };
  auto challenge = ParseChallenge(unauthorized.Header("www-authenticate"));
  if (!challenge) return refuse("HTTP 401 without a WWW-Authenticate challenge");
  if (challenge->scheme == "basic") {
    if (!creds) return refuse("it asks for a user name and password and there are none for it in " + where);
    authorization_ = "Basic " + creds->basic;
    return OkStatus();
  }
  if (challenge->scheme != "bearer") return refuse("unsupported challenge '" + EscapedExcerpt(challenge->scheme) + "'");
  std::string realm = challenge->params["realm"];
  if (realm.empty()) return refuse("Bearer challenge without a realm");
  KILN_TRY(CheckRealm(realm, registry_, opts_.insecure));
  std::string url = realm;
  for (const char* key : {"service", "scope"}) {
    auto it = challenge->params.find(key);
    if (it == challenge->params.end() || it->second.empty()) continue;
    // URL-encode the value (scopes contain ':' and ',').
    CurlUrl u(curl_url());
    if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK)
      return refuse("malformed token realm '" + EscapedExcerpt(realm) + "'");
    std::string kv = std::string(key) + "=" + it->second;
    if (curl_url_set(u.get(), CURLUPART_QUERY, kv.c_str(), CURLU_APPENDQUERY | CURLU_URLENCODE) != CURLUE_OK)
      return refuse("malformed token realm '" + EscapedExcerpt(realm) + "'");
    KILN_ASSIGN_OR_RETURN(url, UrlGet(u.get()));
  }
  HttpRequest token_req;
  token_req.url = url;
  token_req.follow_redirects = true;
  auto resp = SendWithRetries(token_req, url, creds ? "Basic " + creds->basic : std::string());
  if (!resp.ok()) {
    Error e = std::move(resp).error();
    e.context.push_back("fetching a token for registry " + registry_);
    return e;
  }
  if (resp->status == 401 || resp->status == 403)
    return refuse("the token service " + EscapedExcerpt(realm) + " answered HTTP " + std::to_string(resp->status) +
                  (creds ? " for the credentials in " + creds->source : " (no credentials for it in " + where + ")"));
  if (resp->status != 200)
    return MakeError(ErrorCode::kNetwork, "token service " + EscapedExcerpt(realm) + ": HTTP " + std::to_string(resp->status) +
                                              Excerpt(resp->body));
  auto j = nlohmann::json::parse(resp->body, nullptr, false);
  std::string token;
  if (j.is_object()) {
    for (const char* key : {"token", "access_token"})
      if (auto it = j.find(key); it != j.end() && it->is_string() && !it->get<std::string>().empty()) {
        token = it->get<std::string>();
        break;
      }
  }
  if (token.empty()) return refuse("the token service " + EscapedExcerpt(realm) + " returned no token");
  authorization_ = "Bearer " + token;
  return OkStatus();
}

Result<HttpResponse> RegistryClient::Send(const HttpRequest& req) {
  std::string url = req.url;
  if (url.rfind("/", 0) == 0) url = base_url_ + url;
  const std::string what = req.method + " " + url;
  bool answered_challenge = false;
  for (;;) {
    KILN_ASSIGN_OR_RETURN(HttpResponse resp, SendWithRetries(req, url, authorization_));
    if (resp.status != 401) return resp;
    if (answered_challenge) {
      auto creds = LoadCredentials(registry_, opts_.auth_file);
      std::string source = creds.ok() && *creds ? (*creds)->source : AuthFilePath(opts_.auth_file).string();
      return MakeError(ErrorCode::kAuth, "authentication to registry " + registry_ + " failed (" + what +
                                             "): HTTP 401 with the credentials from " + source + Excerpt(resp.body));
    }
    KILN_TRY(Authenticate(resp, what));
    answered_challenge = true;
  }
}

Result<HttpResponse> RegistryClient::SendExpect(const HttpRequest& req, std::initializer_list<long> expected,
                                                const std::string& what) {
  KILN_ASSIGN_OR_RETURN(HttpResponse resp, Send(req));
  for (long s : expected)
    if (resp.status == s) return resp;
  ErrorCode code = resp.status == 403 ? ErrorCode::kAuth : ErrorCode::kNetwork;
  return MakeError(code, "registry " + registry_ + ": " + what + ": " + req.method + " " + req.url + " answered HTTP " +
                             std::to_string(resp.status) + Excerpt(resp.body));
}

}  // namespace kiln::registry
