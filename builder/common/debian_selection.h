// What a recipe's [base] (type "debian") chooses of a Debian base, with the defaults of a recipe
// that does not say: a common value type, so the recipe parses it and sources builds from it
// (sources::DebianBaseSpec adds what the build knows) without either depending on the other.
#pragma once

#include <string>
#include <vector>

#include "builder/common/apt_settings.h"
#include "builder/common/debian_snapshot.h"

namespace kiln {

struct DebianSelection {
  std::string suite = "bookworm";
  std::string variant = "minbase";
  std::vector<std::string> packages;
  std::vector<std::string> components = {"main"};
  std::string mirror = "http://deb.debian.org/debian";
  AptSettings apt;
  std::string snapshot;  // "YYYYMMDDTHHMMSSZ": packages from the archive as it was then; empty: none
  std::string snapshot_mirror = kDefaultSnapshotMirror;  // base URL of the snapshot service
  bool operator==(const DebianSelection&) const = default;
};

}  // namespace kiln
