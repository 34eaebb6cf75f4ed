#include "builder/transfer/download.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>
#include <thread>

namespace kiln::transfer {

namespace {

// State of one download across its attempts.
struct Transfer {
  CURL* curl = nullptr;
  DownloadSink* sink = nullptr;
  const DownloadOptions* options = nullptr;
  bool is_http = true;
  std::string url;
  std::uint64_t offset = 0;         // bytes the sink holds
  std::uint64_t attempt_start = 0;  // offset when the current attempt began
  std::int64_t range_start = -1;    // start of the current response's Content-Range
  bool range_mismatch = false;
  std::optional<Error> sink_error;  // the sink's (or the size limit's) error ends the download

  bool Restart() {
    Status s = sink->Restart();
    if (!s.ok()) {
      sink_error = std::move(s).error();
      return false;
    }
    offset = 0;
    return true;
  }
};

std::size_t OnHeader(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  // A new status line starts a new response (redirects, 100-continue): forget the old range.
  if (line.starts_with("HTTP/")) t->range_start = -1;
  constexpr std::string_view kRange = "content-range:";
  if (line.size() > kRange.size()) {
    std::string head(line.substr(0, kRange.size()));
    std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
    if (head == kRange) {
      std::string rest(line.substr(kRange.size()));
      auto pos = rest.find("bytes");
      if (pos != std::string::npos) t->range_start = std::strtoll(rest.c_str() + pos + 5, nullptr, 10);
    }
  }
  return size * n;
}

std::size_t OnWrite(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::size_t len = size * n;
  if (t->is_http) {
    long code = 0;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code);
    if (code != 200 && code != 206) return len;  // error bodies are not content
    if (code == 200 && t->offset > 0 && t->offset == t->attempt_start) {
      // The server ignored our Range: start the file again.
      if (!t->Restart()) return 0;
      t->attempt_start = 0;
    }
    if (code == 206 && t->offset == t->attempt_start &&
        t->range_start != static_cast<std::int64_t>(t->attempt_start)) {
      t->range_mismatch = true;
      return 0;
    }
  }
  const std::uint64_t limit = t->options->max_bytes;
  if (limit != 0 && t->offset + len > limit) {
    t->sink_error = MakeError(ErrorCode::kIntegrity, t->url + " is larger than the expected " +
                                                         std::to_string(limit) + " bytes");
    return 0;
  }
  Status s = t->sink->Write(std::string_view(data, len));
  if (!s.ok()) {
    t->sink_error = std::move(s).error();
    return 0;
  }
  t->offset += len;
  return len;
}

int OnProgress(void* user, curl_off_t dltotal, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (t->options->on_progress) {
    std::uint64_t total = dltotal > 0 ? t->attempt_start + static_cast<std::uint64_t>(dltotal) : 0;
    t->options->on_progress(t->offset, total);
  }
  return 0;
}

enum class Outcome { kComplete, kRetry, kFail };

struct AttemptResult {
  Outcome outcome = Outcome::kFail;
  Error error;  // for kFail, and the last reason for kRetry
};

AttemptResult RunAttempt(Transfer& t) {
  CURL* h = t.curl;
  t.attempt_start = t.offset;
  t.range_start = -1;
  t.range_mismatch = false;
  curl_easy_setopt(h, CURLOPT_RESUME_FROM_LARGE, static_cast<curl_off_t>(t.offset));
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  CURLcode rc = curl_easy_perform(h);
  long code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);

  if (t.sink_error) return {Outcome::kFail, *t.sink_error};
  if (t.range_mismatch) {
    // A range we did not ask for: restart from zero rather than splice wrong bytes.
    if (!t.Restart()) return {Outcome::kFail, *t.sink_error};
    return {Outcome::kRetry, MakeError(ErrorCode::kNetwork, "server answered an unexpected range for " + t.url)};
  }
  if (rc == CURLE_RANGE_ERROR) {
    if (!t.Restart()) return {Outcome::kFail, *t.sink_error};
    return {Outcome::kRetry, MakeError(ErrorCode::kNetwork, "server cannot resume " + t.url)};
  }
  std::string detail = errbuf[0] ? std::string(errbuf) : std::string(curl_easy_strerror(rc));
  if (rc != CURLE_OK) {
    Error e = MakeError(ErrorCode::kNetwork, "cannot download " + t.url + ": " + detail);
    if (rc == CURLE_FILE_COULDNT_READ_FILE) e.code = ErrorCode::kInput;
    return {IsRetryableCurlCode(rc) ? Outcome::kRetry : Outcome::kFail, e};
  }
  if (!t.is_http || code == 200 || code == 206) return {Outcome::kComplete, {}};
  // 416 after a resume: the sink already holds every byte; the caller's digest decides.
  if (code == 416 && t.attempt_start > 0) return {Outcome::kComplete, {}};
  Error e = MakeError(ErrorCode::kNetwork, "HTTP " + std::to_string(code) + " for " + t.url);
  return {IsRetryableStatus(code) ? Outcome::kRetry : Outcome::kFail, e};
}

void ConfigureHandle(CURL* h, Transfer& t, const DownloadOptions& opts) {
  curl_easy_setopt(h, CURLOPT_URL, t.url.c_str());
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, opts.max_redirects);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, t.is_http ? "http,https" : "file");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  ApplyTransferDefaults(h, opts.limits);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnWrite);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &OnProgress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
}

}  // namespace

Result<std::uint64_t> Download(const std::string& url, std::uint64_t offset, DownloadSink& sink,
                               const DownloadOptions& opts) {
  KILN_ASSIGN_OR_RETURN(ParsedUrl parsed, ParseUrl(url));
  const bool is_http = parsed.scheme == "http" || parsed.scheme == "https";
  if (!is_http && parsed.scheme != "file")
    return MakeError(ErrorCode::kInput, "unsupported URL scheme '" + parsed.scheme + "' in " + url +
                                            " (allowed: https, http, file)");
  KILN_ASSIGN_OR_RETURN(CurlEasy h, NewCurlEasy());
  Transfer t;
  t.curl = h.get();
  t.sink = &sink;
  t.options = &opts;
  t.is_http = is_http;
  t.url = url;
  t.offset = offset;
  ConfigureHandle(h.get(), t, opts);

  const int attempts = std::max(1, opts.retry.max_attempts);
  Error last;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    AttemptResult r = RunAttempt(t);
    if (r.outcome == Outcome::kComplete) return t.offset;
    if (r.outcome == Outcome::kFail) return r.error;
    last = r.error;
    if (attempt == attempts) break;
    if (opts.on_retry) opts.on_retry(last);
    std::this_thread::sleep_for(BackoffDelay(opts.retry, attempt));
  }
  last.message += " (gave up after " + std::to_string(attempts) + " attempts)";
  return last;
}

}  // namespace kiln::transfer
