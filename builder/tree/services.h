// Applies the recipe's [services] enable = [...]: the symlinks `systemctl --root=IMAGE enable
// UNIT...` (systemd 252, Debian 12) would create, made in the in-memory tree without running
// systemctl. The pipeline calls it after every other tree input (base, overlays, accounts,
// entries), so units may come from any of them.
#pragma once

#include <string>
#include <vector>

#include "builder/common/result.h"
#include "builder/common/source_pos.h"
#include "builder/tree/file_tree.h"

namespace kiln::tree {

// Unit search path inside the image, in systemd's order for the system manager
// (`systemd-analyze unit-paths` minus /run): a unit found through /lib on a merged-/usr
// image is linked as /lib/systemd/system/NAME, as systemctl on Debian 12 writes it.
const std::vector<std::string>& UnitSearchPath();

// For each unit (in order; Also= units after it, each unit once):
//  - finds the unit file (for "foo@bar.service" the exact name first, then "foo@.service");
//  - WantedBy=T / RequiredBy=T: symlink etc/systemd/system/T.wants|T.requires/NAME, where
//    NAME is the unit, the requested instance, or the template with DefaultInstance=;
//  - Alias=A: symlink etc/systemd/system/A; Also=U: enables U the same way;
//  - every link is absolute: "/" + the search directory the unit was found in + file name.
// Links, and the .wants/.requires directories (0755), are owned by root with mtime = the
// tree's clamp time. An identical existing link is kept; a different file there is an error.
// Errors are kRecipe and start with `pos` (the [services].enable value): a unit that is not
// in the image, a masked or aliased unit file, a unit with no [Install] config (systemctl's
// "no installation config"), a template with neither an instance nor DefaultInstance=.
Status EnableServices(FileTree& tree, const std::vector<std::string>& units,
                      const SourcePos& pos);

}  // namespace kiln::tree
