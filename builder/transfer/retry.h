// The one retry rule every kiln download and registry request follows: which failures are
// worth another attempt (transport errors that a later attempt may not meet, and the HTTP
// statuses that mean "try again later"), how long to wait before attempt n, and how many
// attempts to make. Anything else (404, 403, a TLS certificate problem, a bad URL) fails at
// once: repeating it cannot help.
#pragma once

#include <curl/curl.h>

#include <chrono>

namespace kiln::transfer {

struct RetryPolicy {
  int max_attempts = 5;                         // tries per transfer, at least 1
  std::chrono::milliseconds backoff_base{500};  // delay before retry n: base * 2^(n-1) ...
  std::chrono::milliseconds backoff_max{8000};  // ... at most this
};

// 408 Request Timeout, 429 Too Many Requests, 500, 502, 503, 504. Not 501 (Not Implemented)
// or 505: those are permanent.
bool IsRetryableStatus(long http_status);

// Connection, DNS, timeout, reset and truncation errors; TLS handshake failures (not
// certificate verification failures); a refused range (the caller restarts from zero).
bool IsRetryableCurlCode(CURLcode rc);

// Delay before the attempt after failed attempt number `failed_attempt` (1-based).
std::chrono::milliseconds BackoffDelay(const RetryPolicy& policy, int failed_attempt);

}  // namespace kiln::transfer
