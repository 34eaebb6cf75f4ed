// libFuzzer harness: the input archive index parser (index.json of `kiln rebuild --from DIR`
// and of `kiln pull` for an input archive, so written by others). A parsed index must print
// back canonically and parse again to the same text.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "builder/input_archive/archive_index.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto index = kiln::input_archive::ParseIndex(text);
  if (index.ok()) {
    const std::string json = kiln::input_archive::IndexToJson(*index);
    auto again = kiln::input_archive::ParseIndex(json);
    if (!again.ok() || kiln::input_archive::IndexToJson(*again) != json) __builtin_trap();
    for (const auto& e : index->entries)
      if (e.is_tree) (void)kiln::input_archive::TreeDigest(e.tree);
  }
  return 0;
}
