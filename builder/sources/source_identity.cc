#include "builder/sources/source_identity.h"

#include <algorithm>

namespace kiln::sources {

std::string CanonicalInputs(std::vector<InputRecord> records) {
  std::sort(records.begin(), records.end());
  std::string out;
  for (const auto& r : records) out += r.kind + "\t" + r.uri + "\t" + r.sha256 + "\n";
  return out;
}

std::string DebPurl(const std::string& name, const std::string& version, const std::string& arch,
                    const std::string& vendor) {
  std::string v;
  for (char c : version) {
    if (c == ':') v += "%3A";
    else if (c == '+') v += "%2B";
    else v += c;
  }
  return "pkg:deb/" + vendor + "/" + name + "@" + v + "?arch=" + arch;
}

}  // namespace kiln::sources
