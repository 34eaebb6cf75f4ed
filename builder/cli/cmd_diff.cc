// kiln diff A B [--json]: what a reviewer reads before promoting a release.
#include <cstdio>

#include "builder/cli/commands.h"
#include "builder/diff/diff_format.h"
#include "builder/diff/image_diff.h"

namespace kiln::cli {

int RunDiff(const GlobalOptions& g, const std::filesystem::path& a, const std::filesystem::path& b) {
  auto d = diff::DiffImages(a, b, {});
  if (!d.ok()) return ReportError(g, d.error());
  std::fputs((g.json ? diff::DiffToJson(*d) : diff::DiffToText(*d)).c_str(), stdout);
  return 0;
}

}  // namespace kiln::cli
