// What `kiln verify` found: every check made, in order, with the first failure deciding the
// outcome. The CLI prints it (or its JSON) and exits 0 only when every check passed.
#pragma once

#include <string>
#include <vector>

namespace kiln::verify {

struct Check {
  std::string name;    // "gpt", "root-verity", "verity-signature", "artifact x.raw", ...
  bool ok = false;
  std::string detail;  // what was checked, or what failed (which partition, block or file)
};

struct VerifyReport {
  std::string artifact;
  std::string kind;  // "disk", "manifest", "split", "oci"
  std::vector<Check> checks;

  bool ok() const {
    for (auto& c : checks)
      if (!c.ok) return false;
    return !checks.empty();
  }
  // The first failed check, or nullptr.
  const Check* first_failure() const {
    for (auto& c : checks)
      if (!c.ok) return &c;
    return nullptr;
  }
  void Pass(std::string name, std::string detail) { checks.push_back({std::move(name), true, std::move(detail)}); }
  void Fail(std::string name, std::string detail) { checks.push_back({std::move(name), false, std::move(detail)}); }
};

}  // namespace kiln::verify
