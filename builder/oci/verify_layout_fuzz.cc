// libFuzzer harness: VerifyOciLayout (`kiln verify` of an OCI layout made by others) on the
// index.json, manifests, nested indexes and blobs built from one input (fuzz_layout.h).
#include <cstddef>
#include <cstdint>

#include "builder/common/fuzz_input.h"
#include "builder/oci/fuzz_layout.h"
#include "builder/oci/layout.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto layout = kiln::fuzz::ScratchDir() / "layout";
  kiln::fuzz::WriteLayout(layout, kiln::fuzz::SplitDocuments(data, size));
  (void)kiln::oci::VerifyOciLayout(layout);
  return 0;
}
