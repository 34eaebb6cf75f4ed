// The request head of an HTTP/1.x GET or HEAD for a static file, parsed from bytes a guest
// sent (untrusted): bounded, never throws, accepts only what a file fetch needs. Used by the
// stream file server (stream_file_server.h) that `kiln boot --serve` gives a VM.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "builder/common/result.h"

namespace kiln::file_server {

// Longest request head accepted (request line and headers, up to the blank line).
inline constexpr std::size_t kMaxRequestHead = 16 * 1024;

// A byte range "bytes=FIRST-" or "bytes=FIRST-LAST" (one range; LAST inclusive).
struct ByteRange {
  std::uint64_t first = 0;
  std::optional<std::uint64_t> last;
  bool operator==(const ByteRange&) const = default;
};

struct HttpRequest {
  bool head_only = false;          // HEAD: headers without the body
  std::string path;                // relative to the served directory: "a/b.txt", "" for "/"
  std::optional<ByteRange> range;  // from a Range header; absent or unparsable: whole file
};

// Parses `head` (ends with the blank line, "\r\n\r\n" or "\n\n"). kInput with a short reason
// for anything else: other methods, absolute-form or percent-encoded targets, "." or ".."
// segments, control characters, over-long heads. Query strings are ignored.
Result<HttpRequest> ParseRequestHead(std::string_view head);

// The range a file of `size` bytes can serve: [first, last] clamped to the file; nullopt when
// unsatisfiable (first beyond the end).
struct ServedRange {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};
std::optional<ServedRange> Satisfy(const ByteRange& r, std::uint64_t size);

}  // namespace kiln::file_server
