#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "builder/cli/commands.h"

namespace kiln::cli {

int ReportError(const GlobalOptions& g, const Error& e) {
  if (g.json) {
    nlohmann::json j = {{"ok", false}, {"error", {{"code", ErrorCodeName(e.code)}, {"message", e.ToString()}}}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::fprintf(stderr, "kiln: error: %s\n", e.ToString().c_str());
  }
  return ExitCodeFor(e.code);
}

unsigned EffectiveJobs(const GlobalOptions& g) {
  if (g.jobs) return g.jobs;
  unsigned n = std::thread::hardware_concurrency();
  return n ? n : 1;
}

}  // namespace kiln::cli
