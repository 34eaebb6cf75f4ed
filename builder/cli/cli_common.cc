#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "builder/cli/commands.h"
#include "builder/common/cache_key.h"
#include "builder/common/size.h"
#include "builder/common/text_escape.h"
#include "builder/sources/download_cache.h"

namespace kiln::cli {

int ReportError(const GlobalOptions& g, const Error& e) {
  if (g.json) {
    nlohmann::json j = {{"ok", false}, {"error", {{"code", ErrorCodeName(e.code)}, {"message", e.ToString()}}}};
    std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::fprintf(stderr, "kiln: error: %s\n", EscapeMessageForTerminal(e.ToString()).c_str());
  }
  return ExitCodeFor(e.code);
}

unsigned EffectiveJobs(const GlobalOptions& g) {
  if (g.jobs) return g.jobs;
  unsigned n = std::thread::hardware_concurrency();
  return n ? n : 1;
}

BuildContext ContextFromOptions(const GlobalOptions& g, std::function<void(const Event&)> on_event) {
  BuildContext ctx;
  ctx.jobs = EffectiveJobs(g);
  ctx.cache_dir = g.cache_dir.empty() ? sources::DefaultCacheDir() : g.cache_dir;
  ctx.offline = g.offline;
  auto cache_max = ParseSize(g.cache_max);  // checked when the command line was parsed
  ctx.cache_max = cache_max.ok() ? *cache_max : 0;
  ctx.on_event = std::move(on_event);
  return ctx;
}

Status UsePrivateCacheDir(const GlobalOptions& g, BuildContext& ctx) {
  if (ctx.cache_dir.empty())
    return MakeError(ErrorCode::kUsage,
                     "no cache directory: neither XDG_CACHE_HOME nor HOME is set to an absolute path; pass --cache DIR");
  Status s = EnsurePrivateDir(ctx.cache_dir);
  if (s.ok()) return s;
  if (!g.cache_dir.empty()) return std::move(s).WithContext("--cache " + g.cache_dir.string());
  ctx.Report("cache", "warning: building without caches: " + s.error().message);
  ctx.cache_dir.clear();
  return OkStatus();
}

}  // namespace kiln::cli
