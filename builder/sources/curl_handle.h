// RAII owners for libcurl's C handles (CURL*, curl_slist*, CURLU*) and the one-time global
// initialisation. Used by the download cache; nothing outside this folder talks to libcurl
// directly except the registry client, which may reuse these.
#pragma once

#include <curl/curl.h>

#include <memory>
#include <string>

#include "builder/common/result.h"

namespace kiln::sources {

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

// Parsed pieces of an URL, via the curl URL API (never by string splitting).
struct ParsedUrl {
  std::string scheme;  // lowercase: "http", "https", "file", ...
  std::string path;    // decoded path for file:// URLs
};
Result<ParsedUrl> ParseUrl(const std::string& url);

}  // namespace kiln::sources
