#include "builder/transfer/curl_handle.h"

#include <mutex>

namespace kiln::transfer {

Result<CurlEasy> NewCurlEasy() {
  static std::once_flag once;
  static CURLcode init_rc = CURLE_OK;
  std::call_once(once, [] { init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (init_rc != CURLE_OK)
    return MakeError(ErrorCode::kNetwork,
                     std::string("cannot initialise libcurl: ") + curl_easy_strerror(init_rc));
  CurlEasy h(curl_easy_init());
  if (!h) return MakeError(ErrorCode::kNetwork, "cannot create a libcurl handle");
  return h;
}

void ApplyTransferDefaults(CURL* h, const TransferLimits& limits) {
  curl_easy_setopt(h, CURLOPT_USERAGENT, "kiln");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, limits.connect_timeout_seconds);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, limits.low_speed_limit_bytes);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, limits.low_speed_time_seconds);
}

namespace {

Result<std::string> UrlPart(CURLU* u, CURLUPart part, unsigned flags, const std::string& url) {
  char* out = nullptr;
  CURLUcode rc = curl_url_get(u, part, &out, flags);
  if (rc != CURLUE_OK)
    return MakeError(ErrorCode::kInput,
                     "malformed URL '" + url + "': " + curl_url_strerror(rc));
  std::unique_ptr<char, decltype(&curl_free)> owned(out, &curl_free);
  return std::string(out);
}

}  // namespace

Result<ParsedUrl> ParseUrl(const std::string& url) {
  CurlUrl u(curl_url());
  if (!u) return MakeError(ErrorCode::kInput, "cannot allocate an URL handle");
  CURLUcode rc = curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0);
  if (rc != CURLUE_OK)
    return MakeError(ErrorCode::kInput, "malformed URL '" + url + "': " + curl_url_strerror(rc));
  ParsedUrl parsed;
  KILN_ASSIGN_OR_RETURN(parsed.scheme, UrlPart(u.get(), CURLUPART_SCHEME, 0, url));
  KILN_ASSIGN_OR_RETURN(parsed.path, UrlPart(u.get(), CURLUPART_PATH, CURLU_URLDECODE, url));
  return parsed;
}

}  // namespace kiln::transfer
