// libFuzzer harness: the build manifest JSON and SHA256SUMS parsers that `kiln verify`,
// `inspect` and `rebuild` run on output directories made by others.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "builder/manifest/build_manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto m = kiln::manifest::ParseManifest(text);
  if (m.ok()) (void)kiln::manifest::ToJson(*m);
  (void)kiln::manifest::ParseSha256Sums(text);
  return 0;
}
