// libFuzzer harness for the squashfs reader `kiln diff` uses on untrusted images. Seeds:
// testdata/fuzz/squashfs_listing (regenerate with testdata/make-fuzz-seeds.sh).
#include <cstddef>
#include <cstdint>
#include <span>

#include "builder/diff/squashfs_listing.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kiln::diff::SquashfsLimits limits;
  limits.max_entries = 100000;
  limits.max_content_bytes = 64u << 20;  // a crafted sparse file must not stall the fuzzer
  limits.max_dpkg_status_bytes = 1u << 20;
  (void)kiln::diff::ReadSquashfsListing(std::span<const std::uint8_t>(data, size), limits);
  return 0;
}
