// RAII owners for libcurl's C handles (CURL*, curl_slist*, CURLU*), the one-time global
// initialisation and the transfer settings every kiln transfer shares. Used by the download
// cache, the registry client and the update agent (through download.h).
#pragma once

#include <curl/curl.h>

#include <memory>
#include <string>

#include "builder/common/result.h"

namespace kiln::transfer {

struct CurlEasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct CurlSlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
struct CurlUrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;
using CurlUrl = std::unique_ptr<CURLU, CurlUrlDeleter>;

// curl_global_init exactly once per process (thread-safe), then a fresh easy handle.
Result<CurlEasy> NewCurlEasy();

// What every transfer kiln makes has in common: user agent "kiln", no signals (transfers run
// on worker threads), a connect timeout and a stall limit (a transfer slower than
// low_speed_limit_bytes per second for low_speed_time_seconds is aborted, then retried by the
// caller). Proxies (http_proxy, https_proxy, no_proxy) and CA certificates are libcurl's own
// defaults and environment, for both callers alike.
struct TransferLimits {
  long connect_timeout_seconds = 30;
  long low_speed_limit_bytes = 1;
  long low_speed_time_seconds = 60;
};
void ApplyTransferDefaults(CURL* h, const TransferLimits& limits);

// Parsed pieces of an URL, via the curl URL API (never by string splitting).
struct ParsedUrl {
  std::string scheme;  // lowercase: "http", "https", "file", ...
  std::string path;    // decoded path for file:// URLs
};
Result<ParsedUrl> ParseUrl(const std::string& url);

}  // namespace kiln::transfer
