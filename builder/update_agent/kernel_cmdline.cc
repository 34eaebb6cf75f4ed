#include "builder/update_agent/kernel_cmdline.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>

namespace kiln::update_agent {

Result<Digest> RootHashFromCmdline(std::string_view cmdline) {
  constexpr std::string_view kKey = "roothash=";
  std::optional<std::string_view> value;
  std::size_t i = 0;
  while (i < cmdline.size()) {
    while (i < cmdline.size() && std::isspace(static_cast<unsigned char>(cmdline[i]))) ++i;
    std::size_t end = i;
    while (end < cmdline.size() && !std::isspace(static_cast<unsigned char>(cmdline[end]))) ++end;
    std::string_view word = cmdline.substr(i, end - i);
    if (word.starts_with(kKey)) value = word.substr(kKey.size());
    i = end;
  }
  if (!value) return MakeError(ErrorCode::kInput, "the kernel command line has no roothash= (not a verity-booted kiln image?)");
  std::string hex(*value);
  std::transform(hex.begin(), hex.end(), hex.begin(), [](unsigned char c) { return std::tolower(c); });
  if (!IsSha256Hex(hex)) return MakeError(ErrorCode::kInput, "roothash= on the kernel command line is not 64 hex digits");
  KILN_ASSIGN_OR_RETURN(std::string bytes, FromHex(hex));
  Digest d{};
  std::copy(bytes.begin(), bytes.end(), d.begin());
  return d;
}

}  // namespace kiln::update_agent
