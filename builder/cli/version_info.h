// What `kiln --version` prints: kiln's version, the git revision it was built from, and the
// versions of the libraries whose output ends up in artifact bytes (squashfs, zstd, OpenSSL,
// libcurl), so a reproducibility difference can be traced to a library upgrade.
#pragma once

#include <string>

namespace kiln::cli {

std::string VersionText();

}  // namespace kiln::cli
