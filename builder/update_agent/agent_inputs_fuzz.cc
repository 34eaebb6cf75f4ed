// libFuzzer harness: the small untrusted inputs kiln-update reads about the machine, chosen by
// the first byte: an ESP file name (boot entry), the LoaderBootCountPath EFI variable, the
// kernel command line, release.json.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "builder/update_agent/boot_entries.h"
#include "builder/update_agent/kernel_cmdline.h"
#include "builder/update_agent/release_info.h"
#include "builder/update_agent/status.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kiln::update_agent;
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 4) {
    case 0:
      if (auto e = ParseEntryName(input, "app")) {
        // What parses names the same entry when written back.
        auto again = ParseEntryName(EntryFileName("app", e->version, e->tries_left, e->tries_done), "app");
        if (!again || again->version != e->version || again->tries_left != e->tries_left ||
            again->tries_done != e->tries_done)
          __builtin_trap();
      }
      break;
    case 1:
      if (auto name = BootCountFileName(input); name && name->empty()) __builtin_trap();
      break;
    case 2:
      (void)RootHashFromCmdline(input);
      break;
    default:
      (void)ParseReleaseInfo(input);
      break;
  }
  return 0;
}
