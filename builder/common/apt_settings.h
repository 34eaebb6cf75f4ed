// Extra apt configuration for a Debian base ([base.apt] in a recipe): a common value type so
// the recipe parses it and sources hands it to mmdebstrap without either depending on the other.
#pragma once

#include <string>
#include <vector>

namespace kiln {

struct AptSettings {
  std::vector<std::string> options;   // extra apt options (-o KEY=VALUE), in order
  std::vector<std::string> keyrings;  // keyring files (resolved paths)
  bool operator==(const AptSettings&) const = default;
};

}  // namespace kiln
