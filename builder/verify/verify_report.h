// What `kiln verify` found: every check made, in order, with the first failure deciding the
// outcome. The CLI prints it (or its JSON) and exits 0 only when every check passed.
#pragma once

#include <string>
#include <vector>

namespace kiln::verify {

// What a check says about one part of the artifact. Only kFailed fails the verification;
// kWritable and kNotCovered say what a passing verify did not vouch for.
enum class Coverage {
  kVerified,    // checked against the signature or a signed digest
  kFailed,
  kWritable,    // changes by design on a running system (the data partition)
  kNotCovered,  // nothing signed covers it (say why in the detail)
};

// "verified", "failed", "writable", "not-covered" (the JSON spelling).
inline const char* CoverageName(Coverage c) {
  switch (c) {
    case Coverage::kVerified: return "verified";
    case Coverage::kFailed: return "failed";
    case Coverage::kWritable: return "writable";
    case Coverage::kNotCovered: return "not-covered";
  }
  return "failed";
}

struct Check {
  std::string name;    // "gpt", "root-verity", "verity-signature", "artifact x.raw", ...
  bool ok = false;
  std::string detail;  // what was checked, or what failed (which partition, block or file)
  Coverage coverage = Coverage::kFailed;
};

struct VerifyReport {
  std::string artifact;
  std::string kind;  // "disk", "manifest", "split", "oci"
  std::vector<Check> checks;

  bool ok() const {
    bool verified = false;
    for (auto& c : checks) {
      if (!c.ok) return false;
      verified = verified || c.coverage == Coverage::kVerified;
    }
    return verified;
  }
  // The first failed check, or nullptr.
  const Check* first_failure() const {
    for (auto& c : checks)
      if (!c.ok) return &c;
    return nullptr;
  }
  void Pass(std::string name, std::string detail) {
    checks.push_back({std::move(name), true, std::move(detail), Coverage::kVerified});
  }
  void Fail(std::string name, std::string detail) {
    checks.push_back({std::move(name), false, std::move(detail), Coverage::kFailed});
  }
  void Writable(std::string name, std::string detail) {
    checks.push_back({std::move(name), true, std::move(detail), Coverage::kWritable});
  }
  void NotCovered(std::string name, std::string detail) {
    checks.push_back({std::move(name), true, std::move(detail), Coverage::kNotCovered});
  }
};

}  // namespace kiln::verify
