// One resumable download: the bytes of an http(s):// or file:// URL handed in order to a
// sink, retried under the shared retry rule (retry.h). After a failed attempt the next one
// asks for the rest with "Range: bytes=N-"; a server that ignores the range (200) or answers
// another range makes the sink start over from byte 0 rather than splice wrong bytes. What
// the bytes are is the caller's business (a cache file, a partition); this library has no
// notion of digests or files, so it needs nothing but libcurl.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "builder/common/result.h"
#include "builder/transfer/curl_handle.h"
#include "builder/transfer/retry.h"

namespace kiln::transfer {

class DownloadSink {
 public:
  virtual ~DownloadSink() = default;
  // Forget every byte received so far: the transfer continues from byte 0.
  virtual Status Restart() = 0;
  // The next bytes of the file, in order. An error ends the download with that error.
  virtual Status Write(std::string_view bytes) = 0;
};

struct DownloadOptions {
  RetryPolicy retry;
  TransferLimits limits{30, 1024, 60};
  long max_redirects = 5;
  // A body longer than this is refused (kIntegrity) as soon as it passes the limit; 0: none.
  std::uint64_t max_bytes = 0;
  // Called before each retry with the failure that caused it.
  std::function<void(const Error&)> on_retry;
  // Called during the transfer with the bytes held so far and the expected total (0 unknown).
  std::function<void(std::uint64_t held, std::uint64_t total)> on_progress;
};

// Downloads url into sink, which already holds its first `offset` bytes (0 for a fresh
// download). Returns the number of bytes the sink holds at the end.
// Errors: kInput (bad URL, scheme other than http, https, file; unreadable file:// path),
// kNetwork (HTTP status, connection failures after the retries; the message names the URL and
// never quotes a response body), kIntegrity (over max_bytes), or the sink's own error.
Result<std::uint64_t> Download(const std::string& url, std::uint64_t offset, DownloadSink& sink,
                               const DownloadOptions& options);

// A sink collecting the body in memory, for small documents (an index); max_bytes bounds it.
class StringSink : public DownloadSink {
 public:
  Status Restart() override {
    body.clear();
    return OkStatus();
  }
  Status Write(std::string_view bytes) override {
    body.append(bytes);
    return OkStatus();
  }
  std::string body;
};

}  // namespace kiln::transfer
