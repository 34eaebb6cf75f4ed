// The running root's identity from the kernel command line: the UKI kiln builds passes
// roothash=HEX (systemd-veritysetup-generator), and the running slot is the one whose root
// partition UUID is the first half of that hash.
#pragma once

#include <string_view>

#include "builder/common/result.h"
#include "builder/common/sha256.h"

namespace kiln::update_agent {

// The last roothash= word (the kernel's rule: the last one wins). kInput when there is none
// or it is not 64 hex digits.
Result<Digest> RootHashFromCmdline(std::string_view cmdline);

}  // namespace kiln::update_agent
