// libFuzzer harness: request heads a guest sends to `kiln boot --serve` (http_request.h).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "builder/file_server/http_request.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view head(reinterpret_cast<const char*>(data), size);
  auto r = kiln::file_server::ParseRequestHead(head);
  if (r.ok()) {
    if (!r->path.empty() && (r->path.front() == '/' || r->path.find("..") != std::string::npos)) {
      // ".." may only appear inside a name ("a..b"), never as a segment.
      if (r->path.front() == '/' || r->path == ".." || r->path.starts_with("../") || r->path.ends_with("/..") ||
          r->path.find("/../") != std::string::npos)
        __builtin_trap();
    }
    if (r->range) (void)kiln::file_server::Satisfy(*r->range, 1000);
  }
  return 0;
}
