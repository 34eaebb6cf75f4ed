// libFuzzer harness: the Debian lock file parser (RECIPE.lock, committed beside recipes
// and so written by others).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "builder/sources/lock_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto lock = kiln::sources::ParseLockFile(text, "fuzz.lock");
  if (lock.ok()) {
    auto again = kiln::sources::ParseLockFile(kiln::sources::FormatLockFile(*lock), "fuzz.lock");
    if (!again.ok()) __builtin_trap();
  }
  return 0;
}
