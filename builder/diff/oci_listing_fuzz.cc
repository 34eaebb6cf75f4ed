// libFuzzer harness: `kiln diff` of an OCI layout made by others: index.json, nested indexes,
// the manifest, the config and the layer tars (whiteouts, hard links, dpkg status), built
// from one input (builder/oci/fuzz_layout.h).
#include <cstddef>
#include <cstdint>

#include "builder/common/fuzz_input.h"
#include "builder/diff/oci_listing.h"
#include "builder/oci/fuzz_layout.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto layout = kiln::fuzz::ScratchDir() / "layout";
  auto docs = kiln::fuzz::SplitDocuments(data, size);
  (void)kiln::diff::FlattenImageConfig(docs.back().bytes);
  kiln::fuzz::WriteLayout(layout, docs);
  (void)kiln::diff::ReadOciLayout(layout);
  return 0;
}
