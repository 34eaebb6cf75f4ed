// What a Debian base is made from: the recipe's [base] (type "debian") and the image
// architecture, plus whether the image boots (then an initrd for the verity root is
// configured). The pipeline and `kiln lock` fill it from the recipe; lock files, the base-tree
// cache key and mmdebstrap's command line are made from it.
#pragma once

#include <string>
#include <vector>

#include "builder/common/apt_settings.h"
#include "builder/common/architecture.h"
#include "builder/common/debian_snapshot.h"

namespace kiln::sources {

struct DebianBaseSpec {
  std::string suite = "bookworm";
  std::string variant = "minbase";
  std::vector<std::string> packages;
  std::vector<std::string> components = {"main"};
  std::string mirror = "http://deb.debian.org/debian";
  AptSettings apt;
  Architecture architecture = Architecture::kX86_64;
  bool boot_initrd = false;  // [boot] loader set: dracut is configured for the verity root
  std::string snapshot;      // [base] snapshot ("YYYYMMDDTHHMMSSZ"), empty: none (the lock's, if any)
  std::string snapshot_mirror = kDefaultSnapshotMirror;  // [base] snapshot_mirror
  bool operator==(const DebianBaseSpec&) const = default;
};

}  // namespace kiln::sources
