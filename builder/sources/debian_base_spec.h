// What a Debian base is made from: the recipe's [base] (type "debian") and the image
// architecture, plus whether the image boots (then an initrd for the verity root is
// configured). The pipeline and `kiln lock` fill it from the recipe; lock files, the base-tree
// cache key and mmdebstrap's command line are made from it.
#pragma once

#include "builder/common/architecture.h"
#include "builder/common/debian_selection.h"

namespace kiln::sources {

struct DebianBaseSpec : DebianSelection {  // the recipe's choice (lock files may add a snapshot)
  Architecture architecture = Architecture::kX86_64;
  bool boot_initrd = false;  // [boot] loader set: dracut is configured for the verity root
  bool operator==(const DebianBaseSpec&) const = default;
};

}  // namespace kiln::sources
